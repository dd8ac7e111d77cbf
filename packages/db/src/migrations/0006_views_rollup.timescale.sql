-- Stable per-minute and per-hour rollups of readings for dashboards (see 0006_views.sql).
-- TimescaleDB: the continuous aggregates readings_1m / readings_1h (0003), real-time
-- (materialized_only = false), so the newest buckets are complete too. Same names,
-- columns and types as the plain PostgreSQL variant.
CREATE OR REPLACE VIEW v_readings_1m AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM readings_1m a
JOIN v_points p ON p.point_id = a.point_id;

CREATE OR REPLACE VIEW v_readings_1h AS
SELECT a.bucket, a.point_id, a.avg, a.min, a.max, a.last, a.samples,
       p.point_name, p.kind, p.unit, p.hazard_source_id, p.enterprise_id
FROM readings_1h a
JOIN v_points p ON p.point_id = a.point_id;

DO $grant$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hw_dashboards') THEN
    GRANT SELECT ON v_readings_1m, v_readings_1h TO hw_dashboards;
  END IF;
END
$grant$;
