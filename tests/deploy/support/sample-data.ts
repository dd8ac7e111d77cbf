import { TailingsRuleSchema } from '@hazardwatch/contracts';
import { applySiteFile, type Pool } from '@hazardwatch/db';
import { bundledSite } from '@hazardwatch/simulators';

/**
 * A small but complete picture for the dashboards: the three bundled demo sites, three
 * hours of readings and positions, terminal statuses, the dam's tailings rules, and an
 * alarm history with something in every panel (an open red gas alarm, a stale alarm, a
 * flood, a chattering alarm, acknowledged alarms, overspeed and fatigue events).
 */
export interface SampleData {
  enterprises: { chemical: string; tailings: string; transport: string; quiet: string };
  damId: string;
  pointIds: Record<string, number>;
  vehicleIds: string[];
}

const MINUTE = 60_000;

export async function loadSampleData(pool: Pool): Promise<SampleData> {
  const chemical = await applySiteFile(pool, bundledSite('chemical-plant'));
  const tailings = await applySiteFile(pool, bundledSite('tailings-dam'));
  const transport = await applySiteFile(pool, bundledSite('transport'));
  const pointIds = { ...chemical.pointIds, ...tailings.pointIds };
  const quiet = 'sd-wh-quiet-storage';
  await pool.query(`INSERT INTO enterprises (id, name, region_code) VALUES ($1, '威海安静仓储 (no terminals yet)', '371002')`, [quiet]);
  const vehicles = (await pool.query<{ id: string }>(`SELECT id FROM vehicles WHERE enterprise_id = $1 ORDER BY id`, [transport.enterpriseId])).rows.map(
    (r) => r.id,
  );
  const damId = 'hs-tailings-1';
  const pid = (key: string): number => {
    const id = pointIds[key];
    if (id === undefined) throw new Error(`sample data: no point ${key}`);
    return id;
  };
  const noDataPoint = pid('gd-205.lel');
  const faultPoint = pid('gd-204.lel');
  const stalePoint = pid('gd-203.lel');

  // Readings: one a minute for three hours and one now, value around the middle of each point's
  // range; the dam's items at plausible values. One detector never reported, one reports a
  // fault, one went silent ten minutes ago.
  await pool.query(
    `INSERT INTO readings (time, point_id, value, quality)
     SELECT CASE WHEN g = 0 THEN now() ELSE date_trunc('minute', now()) - make_interval(mins => g) END, mp.id,
            CASE mp.kind
              WHEN 'combustible_gas' THEN 2 + (g % 5)
              WHEN 'toxic_gas' THEN 1 + (g % 3)
              WHEN 'oxygen' THEN 20.9
              WHEN 'pond_level' THEN 125.6 + g / 600.0
              WHEN 'beach_length' THEN 80 - g / 60.0
              WHEN 'phreatic_depth' THEN 9 + (g % 7) / 10.0
              WHEN 'displacement' THEN 3 + g / 90.0
              WHEN 'rainfall' THEN CASE WHEN g % 10 = 0 THEN 4.5 ELSE 0 END
              ELSE mp.range_min + (mp.range_max - mp.range_min) * (0.4 + 0.1 * sin(g / 20.0))
            END,
            CASE WHEN mp.id = $2 AND g = 0 THEN 1 ELSE 0 END
       FROM measuring_points mp CROSS JOIN generate_series(0, 179) AS g
      WHERE mp.id <> $1 AND NOT (mp.id = $3 AND g < 10)`,
    [noDataPoint, faultPoint, stalePoint],
  );

  // Positions every 30 s around Zaozhuang; the first tanker speeds (JT/T 808 bit 1), the second reports fatigue (bit 2).
  await pool.query(
    `INSERT INTO positions (time, vehicle_id, lat, lon, speed_kmh, heading, altitude_m, acc_on, alarm_flags)
     SELECT now() - make_interval(secs => g * 30), v.id, 34.80 + v.n * 0.02 + g * 0.0004, 117.30 + g * 0.0006,
            CASE WHEN v.n = 1 AND g < 20 THEN 86 ELSE 55 + (g % 10) END, 30, 60, true,
            CASE WHEN v.n = 1 AND g < 20 THEN 2 WHEN v.n = 2 THEN 4 ELSE 0 END
       FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM vehicles WHERE enterprise_id = $1) v
      CROSS JOIN generate_series(0, 359) AS g`,
    [transport.enterpriseId],
  );

  // Terminal statuses: the plant partly online (one detector offline), the dam dark, the fleet online.
  await pool.query(
    `INSERT INTO device_status (device_id, online, reported_at)
     SELECT d.id, d.enterprise_id <> $1 AND d.id <> 'gd-205', now() - INTERVAL '2 minutes' FROM devices d
     UNION ALL
     SELECT v.id, true, now() - INTERVAL '1 minute' FROM vehicles v`,
    [tailings.enterpriseId],
  );

  await insertTailingsRules(pool, tailings.enterpriseId, damId, pointIds);
  await insertAlarmHistory(pool, {
    chemical: chemical.enterpriseId,
    tailings: tailings.enterpriseId,
    transport: transport.enterpriseId,
    damId,
    gasPoint: pid('gd-201.lel'),
    pressurePoint: pid('tk-101.pressure'),
    vehicles,
  });
  return {
    enterprises: { chemical: chemical.enterpriseId, tailings: tailings.enterpriseId, transport: transport.enterpriseId, quiet },
    damId,
    pointIds,
    vehicleIds: vehicles,
  };
}

async function insertTailingsRules(pool: Pool, enterpriseId: string, damId: string, pointIds: Record<string, number>): Promise<void> {
  const ids = (prefix: string) =>
    Object.entries(pointIds)
      .filter(([k]) => k.startsWith(prefix))
      .map(([, v]) => v);
  const items = [
    { id: 'dam-freeboard', points: ids('tz-pond-01.'), item: { measure: 'freeboard', crestElevationM: 128, grades: { yellow: 1.2, orange: 0.8, red: 0.5 } } },
    { id: 'dam-pond-level', points: ids('tz-pond-01.'), item: { measure: 'pond_level', grades: { yellow: 126.5, orange: 127, red: 127.5 } } },
    { id: 'dam-beach', points: ids('tz-beach-01.'), item: { measure: 'beach_length', grades: { yellow: 70, orange: 60, red: 50 } } },
    { id: 'dam-phreatic', points: ids('tz-phreatic-'), item: { measure: 'phreatic_depth', grades: { yellow: 7, orange: 6.6, red: 6 } } },
    { id: 'dam-displacement', points: ids('tz-gnss-'), item: { measure: 'displacement', grades: { blue: 10, yellow: 20, orange: 40, red: 50 } } },
    {
      id: 'dam-rain',
      points: ids('tz-rain-01.'),
      item: {
        measure: 'rainfall',
        windows: [
          { windowMs: 12 * 3_600_000, grades: { yellow: 30, orange: 50, red: 70 } },
          { windowMs: 24 * 3_600_000, grades: { yellow: 50, orange: 100, red: 150 } },
        ],
      },
    },
  ];
  for (const r of items) {
    // Through the real schema, so the views are tested against documents the API would store.
    const doc = TailingsRuleSchema.parse({
      id: r.id,
      version: 1,
      enterpriseId,
      hazardSourceId: damId,
      name: `tailings ${r.item.measure}`,
      kind: 'tailings',
      pointIds: r.points,
      item: r.item,
      source: 'GB 39496-2020 §5.5.4',
    });
    await pool.query(
      `INSERT INTO rules (id, enterprise_id, hazard_source_id, kind, name, current_version, partition_key) VALUES ($1, $2, $3, 'tailings', $4, 1, $5)`,
      [r.id, enterpriseId, damId, doc.name, `source:${damId}`],
    );
    await pool.query(`INSERT INTO rule_versions (rule_id, version, document, changed_by) VALUES ($1, 1, $2, 'sample-data')`, [r.id, JSON.stringify(doc)]);
  }
}

interface AlarmSpec {
  id: string;
  ruleId: string;
  subject: string;
  enterpriseId: string;
  hazardSourceId?: string;
  vehicleId?: string;
  category: string;
  colour: 'red' | 'orange' | 'yellow' | 'blue';
  level: string;
  raisedAgoMs: number;
  /** Acknowledged this long after the raise; absent: unacknowledged. */
  ackAfterMs?: number;
  open: boolean;
  conditionActive: boolean;
}

async function insertAlarmHistory(
  pool: Pool,
  s: { chemical: string; tailings: string; transport: string; damId: string; gasPoint: number; pressurePoint: number; vehicles: string[] },
): Promise<void> {
  const specs: AlarmSpec[] = [
    // An open, unacknowledged second-level combustible gas alarm (GB/T 50493: 50 %LEL).
    {
      id: 'al-gas-red',
      ruleId: 'gas-gd-201',
      subject: `point:${s.gasPoint}`,
      enterpriseId: s.chemical,
      hazardSourceId: 'hs-hdt-unit',
      category: 'process',
      colour: 'red',
      level: 'second',
      raisedAgoMs: 5 * MINUTE,
      open: true,
      conditionActive: true,
    },
    // Active for more than 24 h: stale.
    {
      id: 'al-stale',
      ruleId: 'tk-101-pressure',
      subject: `point:${s.pressurePoint}`,
      enterpriseId: s.chemical,
      hazardSourceId: 'hs-tank-farm-lpg',
      category: 'process',
      colour: 'yellow',
      level: 'H',
      raisedAgoMs: 30 * 60 * MINUTE,
      ackAfterMs: 10 * MINUTE,
      open: true,
      conditionActive: true,
    },
    // The dam: freeboard at orange, acknowledged after 10 minutes.
    {
      id: 'al-dam-orange',
      ruleId: 'dam-freeboard',
      subject: `source:${s.damId}`,
      enterpriseId: s.tailings,
      hazardSourceId: s.damId,
      category: 'dam',
      colour: 'orange',
      level: 'orange',
      raisedAgoMs: 40 * MINUTE,
      ackAfterMs: 10 * MINUTE,
      open: true,
      conditionActive: true,
    },
  ];
  // A flood: 22 activations within eight minutes, two hours ago, all acknowledged within minutes.
  // However the fixed 10-minute windows fall, one of the (at most two) it touches holds more than 10.
  for (let i = 0; i < 22; i++)
    specs.push({
      id: `al-flood-${i}`,
      ruleId: `flood-rule-${i}`,
      subject: `point:${s.gasPoint}`,
      enterpriseId: s.chemical,
      hazardSourceId: 'hs-hdt-unit',
      category: 'process',
      colour: i % 4 === 0 ? 'orange' : 'yellow',
      level: 'first',
      raisedAgoMs: 125 * MINUTE - i * 20_000,
      ackAfterMs: (1 + i) * 20_000,
      open: false,
      conditionActive: false,
    });
  // Chattering: one alarm raised four times within a minute.
  for (let i = 0; i < 4; i++)
    specs.push({
      id: `al-chatter-${i}`,
      ruleId: 'chatter-rule',
      subject: `point:${s.pressurePoint}`,
      enterpriseId: s.chemical,
      hazardSourceId: 'hs-tank-farm-lpg',
      category: 'process',
      colour: 'blue',
      level: 'H',
      raisedAgoMs: 60 * MINUTE - i * 15_000,
      ackAfterMs: 90_000,
      open: false,
      conditionActive: false,
    });
  const [v1, v2] = s.vehicles;
  if (!v1 || !v2) throw new Error('sample data: the transport site needs two vehicles');
  specs.push(
    {
      id: 'al-overspeed',
      ruleId: 'veh-overspeed',
      subject: `vehicle:${v1}`,
      enterpriseId: s.transport,
      vehicleId: v1,
      category: 'vehicle',
      colour: 'orange',
      level: 'OVERSPEED',
      raisedAgoMs: 8 * MINUTE,
      open: true,
      conditionActive: true,
    },
    {
      id: 'al-fatigue',
      ruleId: 'veh-fatigue',
      subject: `vehicle:${v2}`,
      enterpriseId: s.transport,
      vehicleId: v2,
      category: 'vehicle',
      colour: 'orange',
      level: 'FATIGUE',
      raisedAgoMs: 20 * MINUTE,
      ackAfterMs: 2 * MINUTE,
      open: true,
      conditionActive: true,
    },
  );

  for (const a of specs) {
    const state = !a.open ? 'normal' : a.ackAfterMs === undefined ? 'active_unacknowledged' : 'active_acknowledged';
    await pool.query(
      `INSERT INTO alarms (id, rule_id, subject, enterprise_id, hazard_source_id, vehicle_id, category, state, condition_active, colour, level, value, message,
                           raised_at, acknowledged_at, acknowledged_by, cleared_at, open, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 42, 'sample alarm',
               now() - make_interval(secs => $12 / 1000.0),
               CASE WHEN $13::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => ($12 - $13) / 1000.0) END,
               CASE WHEN $13::float8 IS NULL THEN NULL ELSE 'operator-1' END,
               CASE WHEN $14 THEN NULL ELSE now() - make_interval(secs => ($12 - 60000) / 1000.0) END,
               $14, CASE WHEN $14 THEN NULL ELSE now() - make_interval(secs => ($12 - 120000) / 1000.0) END)`,
      [
        a.id,
        a.ruleId,
        a.subject,
        a.enterpriseId,
        a.hazardSourceId ?? null,
        a.vehicleId ?? null,
        a.category,
        state,
        a.conditionActive,
        a.colour,
        a.level,
        a.raisedAgoMs,
        a.ackAfterMs ?? null,
        a.open,
      ],
    );
    const events: Array<[string, number, string | null, string]> = [['raised', a.raisedAgoMs, null, 'active_unacknowledged']];
    if (a.ackAfterMs !== undefined) events.push(['acknowledged', a.raisedAgoMs - a.ackAfterMs, 'active_unacknowledged', 'active_acknowledged']);
    for (const [type, agoMs, before, after] of events) {
      await pool.query(
        `INSERT INTO alarm_events (id, alarm_id, type, at, actor, enterprise_id, region_code, hazard_source_id, vehicle_id, rule_id, subject, category,
                                   colour, level, state_before, state_after, value, message)
         SELECT $1, $2, $3, now() - make_interval(secs => $4 / 1000.0), $5, e.id, e.region_code, $6, $7, $8, $9, $10, $11, $12, $13, $14, 42, 'sample event'
           FROM enterprises e WHERE e.id = $15`,
        [
          `${a.id}:${type}`,
          a.id,
          type,
          agoMs,
          type === 'raised' ? 'engine' : 'operator-1',
          a.hazardSourceId ?? null,
          a.vehicleId ?? null,
          a.ruleId,
          a.subject,
          a.category,
          a.colour,
          a.level,
          before,
          after,
          a.enterpriseId,
        ],
      );
    }
  }
}
