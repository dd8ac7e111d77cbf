-- hw:no-transaction
-- TimescaleDB: hypertables, compression, continuous aggregates. Retention
-- policies are reconciled with the configuration on every start (storage-policies.ts).
SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'), if_not_exists => TRUE, migrate_data => TRUE);
SELECT create_hypertable('positions', by_range('time', INTERVAL '1 day'), if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'point_id', timescaledb.compress_orderby = 'time DESC');
ALTER TABLE positions SET (timescaledb.compress, timescaledb.compress_segmentby = 'vehicle_id', timescaledb.compress_orderby = 'time DESC');
-- Compress only chunks no late reading will touch: dam sensors may upload buffered data a few days late.
SELECT add_compression_policy('readings', INTERVAL '7 days', if_not_exists => TRUE);
SELECT add_compression_policy('positions', INTERVAL '7 days', if_not_exists => TRUE);

CREATE MATERIALIZED VIEW IF NOT EXISTS readings_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, point_id,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS samples,
       last(value, time) AS last
FROM readings
GROUP BY bucket, point_id
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS readings_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, point_id,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS samples,
       last(value, time) AS last
FROM readings
GROUP BY bucket, point_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('readings_1m', start_offset => INTERVAL '2 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);
SELECT add_continuous_aggregate_policy('readings_1h', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes', if_not_exists => TRUE);
