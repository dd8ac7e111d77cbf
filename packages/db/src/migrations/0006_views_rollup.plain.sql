-- Stable per-minute and per-hour rollups of readings for dashboards (see 0006_views.sql).
-- Plain PostgreSQL: computed on read from `readings`. Same names, columns and types as the
-- TimescaleDB variant. Filter on `point_id` (pushed down to the (point_id, time) key) and
-- on `bucket`; on plain PostgreSQL the bucket filter is applied to each reading's bucket,
-- so keep the time range of a panel to what the storage can scan (it is the small setup).
CREATE OR REPLACE VIEW v_readings_1m AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM (
  SELECT date_bin(INTERVAL '1 minute', r.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM readings r
   GROUP BY 1, 2
) a
JOIN v_points p ON p.point_id = a.point_id;

CREATE OR REPLACE VIEW v_readings_1h AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM (
  SELECT date_bin(INTERVAL '1 hour', r.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
         r.point_id,
         avg(r.value) AS avg,
         min(r.value) AS min,
         max(r.value) AS max,
         (array_agg(r.value ORDER BY r.time DESC))[1] AS last,
         count(*) AS samples
    FROM readings r
   GROUP BY 1, 2
) a
JOIN v_points p ON p.point_id = a.point_id;

DO $grant$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hw_dashboards') THEN
    GRANT SELECT ON v_readings_1m, v_readings_1h TO hw_dashboards;
  END IF;
END
$grant$;
