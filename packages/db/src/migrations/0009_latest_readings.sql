-- The latest reading of every point, kept by ingest in the same transaction as the
-- readings themselves (commitIngestBatch). "Latest of an enterprise" then reads one row per
-- point instead of one backward index probe per point into `readings`, which at 10,000
-- points cost more than the whole latency budget of that request (docs/benchmarks.md).
-- A row only moves forward in time: a late or redelivered reading never replaces a newer one.
-- It outlives retention on purpose: a point silent for longer than the readings are kept
-- still shows its last value with its time. No foreign key to measuring_points: a reading
-- of a point deleted meanwhile must never fail an ingest batch (readings has none either);
-- every reader joins the registry, so a deleted point's row is never shown.
-- fillfactor 70: room on each page for HOT updates (no indexed column changes).
CREATE TABLE IF NOT EXISTS latest_readings (
  point_id  integer PRIMARY KEY,
  time      timestamptz NOT NULL,
  value     double precision NOT NULL,
  quality   smallint NOT NULL
) WITH (fillfactor = 70);

-- Backfill from what is stored: one backward probe per registered point.
INSERT INTO latest_readings (point_id, time, value, quality)
SELECT p.id, l.time, l.value, l.quality
  FROM measuring_points p
  CROSS JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l
ON CONFLICT (point_id) DO UPDATE SET time = EXCLUDED.time, value = EXCLUDED.value, quality = EXCLUDED.quality
 WHERE latest_readings.time < EXCLUDED.time;
