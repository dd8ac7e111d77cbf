-- Registry: who and what is monitored. Ids that appear in MQTT topics are text.
CREATE TABLE IF NOT EXISTS enterprises (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),  -- GB/T 2260
  park         text,
  contact      jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
-- Regulators select by prefix (37, 3703, 370321): text_pattern_ops makes LIKE '3703%' use the index.
CREATE INDEX IF NOT EXISTS enterprises_region_idx ON enterprises (region_code text_pattern_ops);

CREATE TABLE IF NOT EXISTS hazard_sources (
  id                  text PRIMARY KEY,
  enterprise_id       text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  name                text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('tank_farm', 'process_unit', 'warehouse', 'tailings_dam')),
  chemicals           jsonb NOT NULL DEFAULT '[]',   -- GB 18218: [{name, cas, quantityT, criticalQuantityT, beta}]
  people_within_500m  integer NOT NULL DEFAULT 0 CHECK (people_within_500m >= 0),
  dam                 jsonb,                          -- tailings dam design data: {grade, type, crestElevationM}
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS hazard_sources_enterprise_idx ON hazard_sources (enterprise_id);

CREATE TABLE IF NOT EXISTS devices (
  id             text PRIMARY KEY,
  enterprise_id  text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  name           text,
  model          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS devices_enterprise_idx ON devices (enterprise_id);

CREATE TABLE IF NOT EXISTS measuring_points (
  id                  serial PRIMARY KEY,
  device_id           text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  channel             text NOT NULL,
  hazard_source_id    text NOT NULL REFERENCES hazard_sources (id) ON DELETE CASCADE,
  name                text,
  kind                text NOT NULL,
  unit                text NOT NULL,
  range_min           double precision NOT NULL,
  range_max           double precision NOT NULL,
  expected_interval_s double precision,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (range_min < range_max),
  UNIQUE (device_id, channel)
);
CREATE INDEX IF NOT EXISTS measuring_points_source_idx ON measuring_points (hazard_source_id);

CREATE TABLE IF NOT EXISTS vehicles (
  id             text PRIMARY KEY,
  enterprise_id  text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  plate          text NOT NULL,
  cargo          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS vehicles_enterprise_idx ON vehicles (enterprise_id);

CREATE TABLE IF NOT EXISTS geofences (
  id             text PRIMARY KEY,
  enterprise_id  text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  name           text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('no_entry', 'route_corridor')),
  geometry       jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Last reported status of each device or vehicle terminal (the retained status topic).
CREATE TABLE IF NOT EXISTS device_status (
  device_id   text PRIMARY KEY,
  online      boolean NOT NULL,
  reported_at timestamptz NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every message ingest refused, with the raw payload (capped) and a machine-readable reason.
CREATE TABLE IF NOT EXISTS dead_letters (
  id             bigserial PRIMARY KEY,
  received_at    timestamptz NOT NULL DEFAULT now(),
  topic          text NOT NULL,
  enterprise_id  text,
  device_id      text,
  reason         text NOT NULL,
  detail         text NOT NULL,
  payload        bytea NOT NULL,
  payload_bytes  integer NOT NULL,
  truncated      boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_enterprise_idx ON dead_letters (enterprise_id, received_at DESC);
CREATE INDEX IF NOT EXISTS dead_letters_received_idx ON dead_letters (received_at);
