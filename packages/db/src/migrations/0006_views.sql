-- Stable read views: the contract between the database and everything outside the
-- services that reads it directly (Grafana dashboards in deploy/grafana, ad-hoc SQL by
-- integrators). Dashboards read these views only, never the tables, so a change to a
-- table changes a view's body here, not every dashboard. Rules for these views:
--   * a column, once published, keeps its name and type; new columns go at the end
--     (CREATE OR REPLACE VIEW only allows appending);
--   * times are timestamptz, ids are text (measuring point ids are integers);
--   * the per-minute and per-hour rollups (v_readings_1m, v_readings_1h) differ between
--     TimescaleDB (continuous aggregates) and plain PostgreSQL (computed on read) and live
--     in 0006_views_rollup.{plain,timescale}.sql, with the same names and columns.

-- Jurisdictions (GB/T 2260): every province / city / county code that has an enterprise,
-- with the prefix that selects its enterprises (37 / 3704 / 370481).
CREATE OR REPLACE VIEW v_regions AS
WITH codes AS (
  SELECT substr(region_code, 1, 2) || '0000' AS region_code, 'province'::text AS level, substr(region_code, 1, 2) AS prefix FROM enterprises
  UNION ALL
  SELECT substr(region_code, 1, 4) || '00', 'city', substr(region_code, 1, 4) FROM enterprises WHERE substr(region_code, 3, 2) <> '00'
  UNION ALL
  SELECT region_code, 'county', region_code FROM enterprises WHERE substr(region_code, 5, 2) <> '00'
)
SELECT region_code, level, prefix, count(*)::int AS enterprises
FROM codes
GROUP BY region_code, level, prefix;

CREATE OR REPLACE VIEW v_enterprises AS
SELECT e.id AS enterprise_id,
       e.name,
       e.region_code,
       substr(e.region_code, 1, 2) || '0000' AS province_code,
       substr(e.region_code, 1, 4) || '00' AS city_code,
       e.park,
       e.created_at,
       e.updated_at
FROM enterprises e;

CREATE OR REPLACE VIEW v_hazard_sources AS
SELECT hs.id AS hazard_source_id,
       hs.name,
       hs.kind,
       hs.enterprise_id,
       e.name AS enterprise_name,
       e.region_code,
       hs.people_within_500m,
       (hs.dam ->> 'grade')::int AS dam_grade,
       hs.dam ->> 'type' AS dam_type,
       (hs.dam ->> 'crestElevationM')::float8 AS crest_elevation_m,
       jsonb_array_length(hs.chemicals) AS chemicals
FROM hazard_sources hs
JOIN enterprises e ON e.id = hs.enterprise_id;

-- Every terminal that talks MQTT: instrument devices and vehicle terminals, with the last
-- status it reported on its retained status topic (null: it never reported one).
CREATE OR REPLACE VIEW v_device_status AS
SELECT t.device_id,
       t.terminal,
       t.enterprise_id,
       e.name AS enterprise_name,
       e.region_code,
       t.name,
       ds.online,
       ds.reported_at,
       CASE WHEN ds.online IS NULL THEN 'unknown' WHEN ds.online THEN 'online' ELSE 'offline' END AS status
FROM (
  SELECT d.id AS device_id, 'device'::text AS terminal, d.enterprise_id, coalesce(d.name, d.id) AS name FROM devices d
  UNION ALL
  SELECT v.id, 'vehicle', v.enterprise_id, v.plate FROM vehicles v
) t
JOIN enterprises e ON e.id = t.enterprise_id
LEFT JOIN device_status ds ON ds.device_id = t.device_id;

CREATE OR REPLACE VIEW v_points AS
SELECT mp.id AS point_id,
       mp.device_id || '.' || mp.channel AS point_key,
       coalesce(mp.name, mp.device_id || '.' || mp.channel) AS point_name,
       mp.device_id,
       mp.channel,
       mp.kind,
       mp.unit,
       mp.range_min,
       mp.range_max,
       mp.expected_interval_s,
       mp.hazard_source_id,
       hs.name AS hazard_source_name,
       hs.kind AS hazard_source_kind,
       hs.enterprise_id,
       e.name AS enterprise_name,
       e.region_code
FROM measuring_points mp
JOIN hazard_sources hs ON hs.id = mp.hazard_source_id
JOIN enterprises e ON e.id = hs.enterprise_id;

-- Raw readings with the point's registry data. Filter on `time` and `point_id` (or
-- enterprise / hazard source): both push down to the (point_id, time) key.
CREATE OR REPLACE VIEW v_readings AS
SELECT r.time,
       r.point_id,
       r.value,
       CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'fault' WHEN 2 THEN 'maintenance' ELSE 'fault' END AS quality,
       p.point_name,
       p.kind,
       p.unit,
       p.hazard_source_id,
       p.enterprise_id
FROM readings r
JOIN v_points p ON p.point_id = r.point_id;

-- Alarms, open and closed, with the names a person reads. `ack_seconds`: time from raise to
-- acknowledgement (null while unacknowledged).
CREATE OR REPLACE VIEW v_alarms AS
SELECT a.id AS alarm_id,
       a.rule_id,
       a.subject,
       a.enterprise_id,
       e.name AS enterprise_name,
       e.region_code,
       a.hazard_source_id,
       hs.name AS hazard_source_name,
       a.vehicle_id,
       v.plate AS vehicle_plate,
       CASE WHEN a.subject ~ '^point:[0-9]{1,9}$' THEN substr(a.subject, 7)::int END AS point_id,
       a.category,
       a.state,
       a.condition_active,
       a.latching,
       a.colour,
       CASE a.colour WHEN 'red' THEN 4 WHEN 'orange' THEN 3 WHEN 'yellow' THEN 2 ELSE 1 END AS severity,
       a.level,
       a.value,
       a.message,
       a.raised_at,
       a.acknowledged_at,
       a.acknowledged_by,
       extract(epoch FROM a.acknowledged_at - a.raised_at)::float8 AS ack_seconds,
       a.cleared_at,
       a.shelved_until,
       a.open,
       a.closed_at
FROM alarms a
JOIN enterprises e ON e.id = a.enterprise_id
LEFT JOIN hazard_sources hs ON hs.id = a.hazard_source_id
LEFT JOIN vehicles v ON v.id = a.vehicle_id;

-- What a control room and a regulator must still handle: open alarms, most severe first
-- when ordered by severity. `stale`: active for more than 24 h (ISA-18.2 / EEMUA 191).
CREATE OR REPLACE VIEW v_alarms_open AS
SELECT a.*,
       extract(epoch FROM now() - a.raised_at)::float8 AS age_seconds,
       (a.condition_active AND a.raised_at < now() - INTERVAL '24 hours') AS stale
FROM v_alarms a
WHERE a.open;

CREATE OR REPLACE VIEW v_alarm_events AS
SELECT ev.seq,
       ev.id AS event_id,
       ev.alarm_id,
       ev.type,
       ev.at,
       ev.recorded_at,
       ev.actor,
       ev.enterprise_id,
       e.name AS enterprise_name,
       ev.region_code,
       ev.hazard_source_id,
       hs.name AS hazard_source_name,
       ev.vehicle_id,
       v.plate AS vehicle_plate,
       ev.rule_id,
       ev.subject,
       ev.category,
       ev.colour,
       ev.level,
       ev.state_before,
       ev.state_after,
       ev.value,
       ev.reason,
       ev.message,
       (ev.type = 'raised') AS activation
FROM alarm_events ev
JOIN enterprises e ON e.id = ev.enterprise_id
LEFT JOIN hazard_sources hs ON hs.id = ev.hazard_source_id
LEFT JOIN vehicles v ON v.id = ev.vehicle_id;

-- Alarm activations per enterprise per fixed 10-minute window: the base of the alarm-rate
-- and flood panels (a flood is > 10 activations in 10 min, EEMUA 191 / ISA-18.2). Fixed
-- windows make this an approximation of the sliding-window figure packages/alarms computes.
CREATE OR REPLACE VIEW v_alarm_activations_10m AS
SELECT date_bin(INTERVAL '10 minutes', ev.at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       ev.enterprise_id,
       ev.region_code,
       count(*)::int AS activations,
       count(*) FILTER (WHERE ev.colour = 'red')::int AS red,
       count(*) FILTER (WHERE ev.colour = 'orange')::int AS orange,
       count(*) FILTER (WHERE ev.colour = 'yellow')::int AS yellow,
       count(*) FILTER (WHERE ev.colour = 'blue')::int AS blue,
       (count(*) > 10) AS flood
FROM alarm_events ev
WHERE ev.type = 'raised'
GROUP BY 1, 2, 3;

-- Latest reading of every point (one backward probe per point on the (point_id, time)
-- key; on TimescaleDB the ordered append stops at the newest chunk holding one), with the
-- most severe open alarm on that point and a status for overview panels:
-- alarm > no_data > fault > maintenance > stale (silent for 3 expected intervals) > normal.
CREATE OR REPLACE VIEW v_latest_readings AS
SELECT p.*,
       l.time,
       l.value,
       CASE l.quality WHEN 0 THEN 'good' WHEN 1 THEN 'fault' WHEN 2 THEN 'maintenance' END AS quality,
       extract(epoch FROM now() - l.time)::float8 AS age_seconds,
       al.colour AS alarm_colour,
       al.level AS alarm_level,
       CASE
         WHEN al.colour IS NOT NULL THEN 'alarm'
         WHEN l.time IS NULL THEN 'no_data'
         WHEN l.quality = 1 THEN 'fault'
         WHEN l.quality = 2 THEN 'maintenance'
         WHEN p.expected_interval_s IS NOT NULL AND now() - l.time > make_interval(secs => 3 * p.expected_interval_s) THEN 'stale'
         ELSE 'normal'
       END AS status
FROM v_points p
LEFT JOIN LATERAL (
  SELECT r.time, r.value, r.quality FROM readings r WHERE r.point_id = p.point_id ORDER BY r.time DESC LIMIT 1
) l ON true
LEFT JOIN LATERAL (
  SELECT a.colour, a.level
    FROM alarms a
   WHERE a.enterprise_id = p.enterprise_id AND a.open AND a.subject = 'point:' || p.point_id
   ORDER BY CASE a.colour WHEN 'red' THEN 4 WHEN 'orange' THEN 3 WHEN 'yellow' THEN 2 ELSE 1 END DESC, a.raised_at DESC
   LIMIT 1
) al ON true;

-- One row per enterprise for regulators: terminals online / offline, open alarms by colour.
-- `status`: offline when terminals exist and none is online (an enterprise gone dark is
-- itself a warning), partial when some are offline, unknown when none ever reported.
CREATE OR REPLACE VIEW v_enterprise_status AS
SELECT e.enterprise_id,
       e.name,
       e.region_code,
       e.park,
       coalesce(t.terminals, 0) AS terminals,
       coalesce(t.online, 0) AS online,
       coalesce(t.offline, 0) AS offline,
       t.last_report_at,
       CASE
         WHEN coalesce(t.terminals, 0) = 0 OR coalesce(t.online, 0) + coalesce(t.offline, 0) = 0 THEN 'unknown'
         WHEN t.online = 0 THEN 'offline'
         WHEN t.offline > 0 OR t.online < t.terminals THEN 'partial'
         ELSE 'online'
       END AS status,
       coalesce(a.red, 0) AS open_red,
       coalesce(a.orange, 0) AS open_orange,
       coalesce(a.yellow, 0) AS open_yellow,
       coalesce(a.blue, 0) AS open_blue,
       coalesce(a.unacknowledged, 0) AS open_unacknowledged
FROM v_enterprises e
LEFT JOIN (
  SELECT enterprise_id,
         count(*)::int AS terminals,
         count(*) FILTER (WHERE online)::int AS online,
         count(*) FILTER (WHERE NOT online)::int AS offline,
         max(reported_at) AS last_report_at
    FROM v_device_status
   GROUP BY enterprise_id
) t ON t.enterprise_id = e.enterprise_id
LEFT JOIN (
  SELECT enterprise_id,
         count(*) FILTER (WHERE colour = 'red')::int AS red,
         count(*) FILTER (WHERE colour = 'orange')::int AS orange,
         count(*) FILTER (WHERE colour = 'yellow')::int AS yellow,
         count(*) FILTER (WHERE colour = 'blue')::int AS blue,
         count(*) FILTER (WHERE acknowledged_at IS NULL)::int AS unacknowledged
    FROM alarms
   WHERE open
   GROUP BY enterprise_id
) a ON a.enterprise_id = e.enterprise_id;

-- Vehicle positions with the JT/T 808 alarm bits a map needs (bit 1 overspeed, bit 2
-- fatigue driving, bit 0 emergency).
CREATE OR REPLACE VIEW v_positions AS
SELECT p.time,
       p.vehicle_id,
       v.plate,
       v.cargo,
       v.enterprise_id,
       e.name AS enterprise_name,
       e.region_code,
       p.lat,
       p.lon,
       p.speed_kmh::float8 AS speed_kmh,
       p.heading::float8 AS heading,
       p.altitude_m::float8 AS altitude_m,
       p.acc_on,
       p.alarm_flags,
       coalesce((p.alarm_flags & 1) <> 0, false) AS emergency_flag,
       coalesce((p.alarm_flags & 2) <> 0, false) AS overspeed_flag,
       coalesce((p.alarm_flags & 4) <> 0, false) AS fatigue_flag
FROM positions p
JOIN vehicles v ON v.id = p.vehicle_id
JOIN enterprises e ON e.id = v.enterprise_id;

-- Where each vehicle is now (one backward probe per vehicle on the (vehicle_id, time) key),
-- with its terminal status and the most severe open vehicle alarm.
CREATE OR REPLACE VIEW v_latest_positions AS
SELECT v.id AS vehicle_id,
       v.plate,
       v.cargo,
       v.enterprise_id,
       e.name AS enterprise_name,
       e.region_code,
       l.time,
       l.lat,
       l.lon,
       l.speed_kmh::float8 AS speed_kmh,
       l.heading::float8 AS heading,
       l.acc_on,
       extract(epoch FROM now() - l.time)::float8 AS age_seconds,
       ds.online,
       al.colour AS alarm_colour,
       al.level AS alarm_level
FROM vehicles v
JOIN enterprises e ON e.id = v.enterprise_id
LEFT JOIN LATERAL (
  SELECT p.time, p.lat, p.lon, p.speed_kmh, p.heading, p.acc_on FROM positions p WHERE p.vehicle_id = v.id ORDER BY p.time DESC LIMIT 1
) l ON true
LEFT JOIN device_status ds ON ds.device_id = v.id
LEFT JOIN LATERAL (
  SELECT a.colour, a.level
    FROM alarms a
   WHERE a.enterprise_id = v.enterprise_id AND a.open AND a.vehicle_id = v.id
   ORDER BY CASE a.colour WHEN 'red' THEN 4 WHEN 'orange' THEN 3 WHEN 'yellow' THEN 2 ELSE 1 END DESC, a.raised_at DESC
   LIMIT 1
) al ON true;

-- Tailings dam monitoring items as configured in the live version of each enabled
-- `tailings` rule (GB 39496-2020 §5.5.4: the designer sets each item's values), with the
-- dam's crest elevation. Rainfall items have one row per window.
CREATE OR REPLACE VIEW v_dam_items AS
SELECT r.id AS rule_id,
       r.name AS rule_name,
       r.enterprise_id,
       r.hazard_source_id,
       hs.name AS hazard_source_name,
       (hs.dam ->> 'crestElevationM')::float8 AS crest_elevation_m,
       rv.document -> 'item' ->> 'measure' AS measure,
       CASE WHEN rv.document -> 'item' ->> 'measure' IN ('freeboard', 'beach_length', 'phreatic_depth') THEN 'low' ELSE 'high' END AS dangerous_side,
       (w.win ->> 'windowMs')::bigint AS window_ms,
       (coalesce(w.win -> 'grades', rv.document -> 'item' -> 'grades') ->> 'blue')::float8 AS blue,
       (coalesce(w.win -> 'grades', rv.document -> 'item' -> 'grades') ->> 'yellow')::float8 AS yellow,
       (coalesce(w.win -> 'grades', rv.document -> 'item' -> 'grades') ->> 'orange')::float8 AS orange,
       (coalesce(w.win -> 'grades', rv.document -> 'item' -> 'grades') ->> 'red')::float8 AS red,
       ARRAY(SELECT jsonb_array_elements_text(rv.document -> 'pointIds')::int) AS point_ids
FROM rules r
JOIN rule_versions rv ON rv.rule_id = r.id AND rv.version = r.current_version
JOIN hazard_sources hs ON hs.id = r.hazard_source_id
LEFT JOIN LATERAL (
  SELECT x AS win FROM jsonb_array_elements(CASE WHEN jsonb_typeof(rv.document -> 'item' -> 'windows') = 'array' THEN rv.document -> 'item' -> 'windows' ELSE '[]'::jsonb END) x
) w ON true
WHERE r.kind = 'tailings' AND r.enabled;

-- The same grades in long form (one row per item and colour), to draw grade lines.
CREATE OR REPLACE VIEW v_dam_grade_lines AS
SELECT d.rule_id, d.enterprise_id, d.hazard_source_id, d.measure, d.window_ms, g.colour, g.value
FROM v_dam_items d
CROSS JOIN LATERAL (VALUES ('blue', d.blue), ('yellow', d.yellow), ('orange', d.orange), ('red', d.red)) AS g(colour, value)
WHERE g.value IS NOT NULL;

-- Dam readings by monitoring item. Pond level gauges also yield freeboard (安全超高 =
-- crest elevation − pond level, GB 39496-2020 §5.5.2) so it can be drawn against its grades.
CREATE OR REPLACE VIEW v_dam_readings AS
SELECT r.time, r.point_id, p.point_name, p.hazard_source_id, p.enterprise_id, p.kind AS measure, r.value, p.unit
FROM readings r
JOIN v_points p ON p.point_id = r.point_id
WHERE p.hazard_source_kind = 'tailings_dam'
UNION ALL
SELECT r.time, r.point_id, p.point_name, p.hazard_source_id, p.enterprise_id, 'freeboard', (hs.dam ->> 'crestElevationM')::float8 - r.value, 'm'
FROM readings r
JOIN v_points p ON p.point_id = r.point_id
JOIN hazard_sources hs ON hs.id = p.hazard_source_id
WHERE p.hazard_source_kind = 'tailings_dam' AND p.kind = 'pond_level' AND hs.dam ? 'crestElevationM';

-- Least privilege for dashboards: when the deployment created the role `hw_dashboards`
-- (deploy/timescaledb/initdb creates it and Grafana's login role as its member), it may read
-- these views and nothing else. Views run with their owner's rights on the tables beneath.
DO $grant$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hw_dashboards') THEN
    GRANT SELECT ON v_regions, v_enterprises, v_hazard_sources, v_device_status, v_points, v_readings, v_alarms, v_alarms_open,
      v_alarm_events, v_alarm_activations_10m, v_latest_readings, v_enterprise_status, v_positions, v_latest_positions,
      v_dam_items, v_dam_grade_lines, v_dam_readings TO hw_dashboards;
  END IF;
END
$grant$;
