-- Narrow readings: one row per (point, time). The primary key makes a redelivered
-- message a no-op (ON CONFLICT DO NOTHING) and serves per-point range scans.
CREATE TABLE IF NOT EXISTS readings (
  time      timestamptz NOT NULL,
  point_id  integer NOT NULL,
  value     double precision NOT NULL,
  quality   smallint NOT NULL DEFAULT 0,  -- 0 good, 1 fault, 2 maintenance
  PRIMARY KEY (point_id, time)
);

CREATE TABLE IF NOT EXISTS positions (
  time         timestamptz NOT NULL,
  vehicle_id   text NOT NULL,
  lat          double precision NOT NULL,
  lon          double precision NOT NULL,
  speed_kmh    real NOT NULL,
  heading      real NOT NULL,
  altitude_m   real,
  acc_on       boolean,
  alarm_flags  bigint,
  PRIMARY KEY (vehicle_id, time)
);
