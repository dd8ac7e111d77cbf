-- Plain PostgreSQL: ordinary tables. BRIN on time keeps range scans over a whole
-- table (retention pruning, exports) cheap at almost no write cost, since rows
-- arrive roughly in time order. Aggregates are computed on read (see readings.repo.ts).
CREATE INDEX IF NOT EXISTS readings_time_brin ON readings USING brin (time);
CREATE INDEX IF NOT EXISTS positions_time_brin ON positions USING brin (time);
