-- Plain PostgreSQL: what TimescaleDB's continuous-aggregate policy does, kept by the
-- rollup refresher (rollup-refresher.ts) on a schedule, never in ingest's COMMIT
-- (a rollup upserted there tripled the commit's CPU per row: docs/benchmarks.md, API).
--
-- readings_rollup_1m holds every closed minute below `rolled_to`; readings_rollup_1h
-- every hour below the hour of `rolled_to`, derived from the minute rows. `sum` is kept
-- instead of the average so an hour's average is exact from its minutes (avg = sum / samples,
-- the same division PostgreSQL's avg(float8) does). Minute buckets start on whole minutes
-- since the epoch, as date_bin(..., TIMESTAMPTZ 'epoch') and 0006's views do.
CREATE TABLE IF NOT EXISTS readings_rollup_1m (
  point_id  integer NOT NULL,
  bucket    timestamptz NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  last      double precision NOT NULL,
  samples   integer NOT NULL,
  PRIMARY KEY (point_id, bucket)
);

CREATE TABLE IF NOT EXISTS readings_rollup_1h (
  point_id  integer NOT NULL,
  bucket    timestamptz NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  last      double precision NOT NULL,
  samples   bigint NOT NULL,
  PRIMARY KEY (point_id, bucket)
);

-- Rows arrive in bucket order, so BRIN serves the refresher's derivation of hours from a range
-- of minutes, and retention, at almost no write cost.
CREATE INDEX IF NOT EXISTS readings_rollup_1m_bucket_brin ON readings_rollup_1m USING brin (bucket);
CREATE INDEX IF NOT EXISTS readings_rollup_1h_bucket_brin ON readings_rollup_1h USING brin (bucket);

-- One row. `rolled_to`: the rollups are complete below it (readers take rollup rows below
-- it and aggregate raw readings from it on). `invalidate_below`: ingest records the minute of
-- every reading older than it in readings_rollup_pending; it is raised (never lowered) under an
-- exclusive advisory lock that ingest's commit holds shared, before the refresher aggregates up
-- to it, so a reading is either seen by that aggregation or recorded as pending. NULL: not yet.
CREATE TABLE IF NOT EXISTS readings_rollup_state (
  id                boolean PRIMARY KEY DEFAULT true CHECK (id),
  rolled_to         timestamptz,
  invalidate_below  timestamptz,
  refreshed_at      timestamptz
);
INSERT INTO readings_rollup_state (id) VALUES (true) ON CONFLICT DO NOTHING;

-- Minutes that received readings after they were rolled up (late, store-and-forward,
-- redelivered). No key: ingest only appends (no conflict to wait on or to lose a row to),
-- the refresher claims the rows it sees with DELETE … RETURNING and re-aggregates them.
-- Until then readers aggregate those minutes from the raw readings.
CREATE TABLE IF NOT EXISTS readings_rollup_pending (
  point_id  integer NOT NULL,
  minute    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_rollup_pending_point_minute ON readings_rollup_pending (point_id, minute);

-- The dashboards' rollup views (0006) over the same sources as readingSeries: rollup rows
-- below the watermark (minus pending minutes), raw readings aggregated on read for the rest.
-- Same names, columns and types as before.
CREATE OR REPLACE VIEW v_readings_1m AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM (
  SELECT r.bucket, r.point_id, r.sum / r.samples AS avg, r.min, r.max, r.last, r.samples::bigint AS samples
    FROM readings_rollup_1m r
   WHERE r.bucket < (SELECT rolled_to FROM readings_rollup_state)
     AND NOT EXISTS (SELECT 1 FROM readings_rollup_pending q WHERE q.point_id = r.point_id AND q.minute = r.bucket)
  UNION ALL
  SELECT date_bin(INTERVAL '1 minute', r.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM readings r
   WHERE r.time >= coalesce((SELECT rolled_to FROM readings_rollup_state), '-infinity')
   GROUP BY 1, 2
  UNION ALL
  SELECT q.minute AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM (SELECT DISTINCT point_id, minute FROM readings_rollup_pending
           WHERE minute < (SELECT rolled_to FROM readings_rollup_state)) q
    JOIN readings r ON r.point_id = q.point_id AND r.time >= q.minute AND r.time < q.minute + INTERVAL '1 minute'
   GROUP BY 1, 2
) a
JOIN v_points p ON p.point_id = a.point_id;

CREATE OR REPLACE VIEW v_readings_1h AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM (
  SELECT r.bucket, r.point_id, r.sum / r.samples AS avg, r.min, r.max, r.last, r.samples
    FROM readings_rollup_1h r
   WHERE r.bucket < date_bin(INTERVAL '1 hour', (SELECT rolled_to FROM readings_rollup_state), TIMESTAMPTZ '2000-01-01 00:00:00+00')
     AND NOT EXISTS (SELECT 1 FROM readings_rollup_pending q
                      WHERE q.point_id = r.point_id AND q.minute >= r.bucket AND q.minute < r.bucket + INTERVAL '1 hour')
  UNION ALL
  SELECT date_bin(INTERVAL '1 hour', r.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM readings r
   WHERE r.time >= coalesce(date_bin(INTERVAL '1 hour', (SELECT rolled_to FROM readings_rollup_state), TIMESTAMPTZ '2000-01-01 00:00:00+00'), '-infinity')
   GROUP BY 1, 2
  UNION ALL
  SELECT q.hour AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM (SELECT DISTINCT point_id, date_bin(INTERVAL '1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour FROM readings_rollup_pending
           WHERE minute < date_bin(INTERVAL '1 hour', (SELECT rolled_to FROM readings_rollup_state), TIMESTAMPTZ '2000-01-01 00:00:00+00')) q
    JOIN readings r ON r.point_id = q.point_id AND r.time >= q.hour AND r.time < q.hour + INTERVAL '1 hour'
   GROUP BY 1, 2
) a
JOIN v_points p ON p.point_id = a.point_id;
