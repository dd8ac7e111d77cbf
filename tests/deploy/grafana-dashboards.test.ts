import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPool, type Pool, type PoolClient } from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type DashboardJson,
  expandGrafanaSql,
  type LoadedDashboard,
  loadDashboards,
  type MacroContext,
  panelsOf,
  referencedVariables,
  type SqlTarget,
  type TemplateVariable,
  type VariableValue,
  variablesOf,
} from './support/grafana.js';
import { REPO_ROOT } from './support/paths.js';
import { loadSampleData, type SampleData } from './support/sample-data.js';

/**
 * The provisioned Grafana dashboards (deploy/grafana): their JSON has what Grafana needs,
 * and every SQL query in them (panel targets and template variables) runs against the
 * migrated schema filled with sample data, after Grafana's own interpolation and macro
 * expansion, and returns the expected columns. On plain PostgreSQL always; on TimescaleDB
 * too when TEST_TIMESCALE_URL names a server with the extension (the same assertions).
 */

const DATASOURCE_UID = 'hw-timescaledb';
const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
const PANEL_TYPES = new Set(['timeseries', 'table', 'stat', 'barchart', 'piechart', 'geomap', 'bargauge', 'gauge', 'text', 'row', 'state-timeline']);
/** The stable views of 0006_views*.sql: the only relations a dashboard may read. */
const VIEWS = new Set([
  'v_regions',
  'v_enterprises',
  'v_hazard_sources',
  'v_device_status',
  'v_points',
  'v_readings',
  'v_readings_1m',
  'v_readings_1h',
  'v_alarms',
  'v_alarms_open',
  'v_alarm_events',
  'v_alarm_activations_10m',
  'v_latest_readings',
  'v_enterprise_status',
  'v_positions',
  'v_latest_positions',
  'v_dam_items',
  'v_dam_grade_lines',
  'v_dam_readings',
]);

/** Columns each query returns, by `dashboard uid / panel title / refId` (variables: `uid / $name`). */
const EXPECTED_COLUMNS: Record<string, string[]> = {
  'hw-plant-overview / $enterprise': ['__value', '__text'],
  'hw-plant-overview / $hazard_source': ['__value', '__text'],
  'hw-plant-overview / $point': ['__value', '__text'],
  'hw-plant-overview / Latest values / A': [
    'point_name',
    'hazard_source_name',
    'value',
    'unit',
    'quality',
    'status',
    'alarm_colour',
    'alarm_level',
    'last_reading',
  ],
  'hw-plant-overview / Gas detectors by level / A': ['level', 'detectors'],
  'hw-plant-overview / Gas detectors / A': ['point_name', 'kind', 'value', 'unit', 'alarm_level', 'alarm_colour', 'status', 'last_reading'],
  'hw-plant-overview / Tank trends (1 min) / A': ['time', 'metric', 'value'],
  'hw-plant-overview / Selected points / A': ['time', 'metric', 'value'],
  'hw-plant-overview / Silent, faulty and unreported points / A': [
    'point_name',
    'hazard_source_name',
    'kind',
    'status',
    'quality',
    'last_reading',
    'silent_s',
    'expected_interval_s',
  ],
  'hw-alarms / $enterprise': ['__value', '__text'],
  'hw-alarms / Active alarms by colour / A': ['red', 'orange', 'yellow', 'blue'],
  'hw-alarms / Unacknowledged / stale (> 24 h) / A': ['unacknowledged', 'stale'],
  'hw-alarms / Acknowledgement time / A': ['p50', 'p90', 'acknowledged'],
  'hw-alarms / Alarm rate (activations per 10 min) / A': ['time', 'red', 'orange', 'yellow', 'blue'],
  'hw-alarms / Time in flood / A': ['time in flood', 'flood windows'],
  'hw-alarms / Floods / A': ['window_start', 'enterprise_id', 'activations', 'red', 'orange', 'yellow', 'blue'],
  'hw-alarms / Chattering alarms (≥ 3 activations in 1 min) / A': ['rule_id', 'subject', 'activations_per_minute', 'last_activation'],
  'hw-alarms / Top 10 most frequent / A': ['rule_id', 'subject', 'activations', 'colour'],
  'hw-alarms / Priority distribution / A': ['metric', 'activations'],
  'hw-alarms / Open alarms / A': [
    'colour',
    'enterprise_name',
    'source',
    'category',
    'level',
    'state',
    'message',
    'value',
    'raised_at',
    'acknowledged_at',
    'acknowledged_by',
    'age_s',
  ],
  'hw-alarms / Latest alarm events / A': [
    'at',
    'type',
    'colour',
    'level',
    'enterprise_name',
    'source',
    'subject',
    'state_before',
    'state_after',
    'actor',
    'message',
  ],
  'hw-tailings-dam / $enterprise': ['__value', '__text'],
  'hw-tailings-dam / $hazard_source': ['__value', '__text'],
  'hw-tailings-dam / Pond level vs crest / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Pond level vs crest / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Pond level vs crest / C': ['time', 'metric', 'value'],
  'hw-tailings-dam / Freeboard (安全超高) / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Freeboard (安全超高) / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Dry beach length / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Dry beach length / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Phreatic line depth / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Phreatic line depth / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Displacement / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Displacement / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Rainfall accumulated (12 h, 24 h) / A': ['time', 'metric', 'value'],
  'hw-tailings-dam / Rainfall accumulated (12 h, 24 h) / B': ['time', 'metric', 'value'],
  'hw-tailings-dam / Monitoring items and grades / A': [
    'hazard_source_name',
    'measure',
    'dangerous_side',
    'window_h',
    'blue',
    'yellow',
    'orange',
    'red',
    'points',
    'rule_name',
  ],
  'hw-tailings-dam / Open dam alarms / A': ['colour', 'level', 'state', 'message', 'value', 'raised_at', 'acknowledged_at'],
  'hw-vehicles / $enterprise': ['__value', '__text'],
  'hw-vehicles / $vehicle': ['__value', '__text'],
  'hw-vehicles / Where the vehicles are / A': ['plate', 'cargo', 'latitude', 'longitude', 'speed_kmh', 'heading', 'last_position', 'online', 'status'],
  'hw-vehicles / Vehicle alarms raised / A': ['overspeed', 'fatigue', 'all vehicle alarms'],
  'hw-vehicles / Terminals online / A': ['online', 'offline', 'never reported'],
  'hw-vehicles / Speed / A': ['time', 'metric', 'value'],
  'hw-vehicles / Terminal alarm flags / A': ['time', 'overspeed', 'fatigue', 'emergency'],
  'hw-vehicles / Overspeed and fatigue events / A': ['at', 'vehicle_plate', 'enterprise_name', 'type', 'level', 'colour', 'value', 'state_after', 'message'],
  'hw-regulator / $region': ['__value', '__text'],
  'hw-regulator / $enterprise': ['__value', '__text'],
  'hw-regulator / Enterprises in the jurisdiction / A': ['enterprises', 'online', 'partial', 'offline', 'unknown'],
  'hw-regulator / Open alarms by colour / A': ['red', 'orange', 'yellow', 'blue', 'unacknowledged'],
  'hw-regulator / Enterprises / A': [
    'name',
    'region_code',
    'park',
    'status',
    'online',
    'offline',
    'terminals',
    'last_report_at',
    'red',
    'orange',
    'yellow',
    'blue',
    'unacknowledged',
  ],
  'hw-regulator / Alarm activations in the jurisdiction (per 10 min) / A': ['time', 'red', 'orange', 'yellow', 'blue'],
  'hw-regulator / Unacknowledged alarms, oldest first / A': ['raised_at', 'colour', 'enterprise_name', 'source', 'level', 'message', 'waiting_s'],
  'hw-regulator / Offline terminals / A': ['enterprise_name', 'terminal', 'name', 'device_id', 'status', 'reported_at'],
};

/** Relation names a query reads (FROM / JOIN), CTE names and VALUES lists aside. */
function relationsRead(sql: string): string[] {
  const ctes = new Set([...sql.matchAll(/\b(\w+)\s+AS\s*\(/gi)].map((m) => (m[1] ?? '').toLowerCase()));
  return [...sql.matchAll(/\b(?:FROM|JOIN)\s+(?!\(|LATERAL\b)([A-Za-z_][\w.]*)/gi)]
    .map((m) => (m[1] ?? '').toLowerCase())
    .filter((r) => !ctes.has(r) && r !== 'values');
}

function targetsOf(panel: Record<string, unknown>): SqlTarget[] {
  return (Array.isArray(panel.targets) ? panel.targets : []) as SqlTarget[];
}

let dashboards: LoadedDashboard[];
beforeAll(async () => {
  dashboards = await loadDashboards();
});

describe('provisioned Grafana dashboards: the JSON Grafana needs', () => {
  it('ships the five dashboards, with unique uids and titles', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(['hw-alarms', 'hw-plant-overview', 'hw-regulator', 'hw-tailings-dam', 'hw-vehicles']);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
  });

  it('has uid, title, schemaVersion, time, templating and panels on every dashboard', () => {
    for (const { file, json } of dashboards) {
      expect(json.uid, file).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(typeof json.title === 'string' && json.title.length > 0, file).toBe(true);
      expect(Number.isInteger(json.schemaVersion) && (json.schemaVersion as number) >= 36, file).toBe(true);
      expect(json.time, file).toMatchObject({ from: expect.any(String), to: expect.any(String) });
      expect(Array.isArray(json.templating?.list), file).toBe(true);
      expect(Array.isArray(json.panels) && (json.panels as unknown[]).length > 0, file).toBe(true);
    }
  });

  it('gives every panel an id, a known type, a title, a gridPos inside the 24-column grid without overlaps, the datasource and SQL targets', () => {
    for (const { file, json } of dashboards) {
      const ids = new Set<number>();
      const rects: Array<{ x: number; y: number; w: number; h: number; title: string }> = [];
      for (const p of panelsOf(json)) {
        const where = `${file}: ${String(p.title)}`;
        expect(Number.isInteger(p.id), where).toBe(true);
        expect(ids.has(p.id as number), `${where}: duplicate panel id`).toBe(false);
        ids.add(p.id as number);
        expect(PANEL_TYPES.has(String(p.type)), `${where}: type ${String(p.type)}`).toBe(true);
        expect(typeof p.title === 'string' && p.title.length > 0, where).toBe(true);
        const g = p.gridPos as { x: number; y: number; w: number; h: number };
        for (const k of ['x', 'y', 'w', 'h'] as const) expect(Number.isInteger(g?.[k]), `${where}: gridPos.${k}`).toBe(true);
        expect(g.w >= 1 && g.h >= 1 && g.x >= 0 && g.y >= 0 && g.x + g.w <= 24, `${where}: gridPos ${JSON.stringify(g)}`).toBe(true);
        for (const r of rects) {
          const overlap = g.x < r.x + r.w && r.x < g.x + g.w && g.y < r.y + r.h && r.y < g.y + g.h;
          expect(overlap, `${where} overlaps ${r.title}`).toBe(false);
        }
        rects.push({ ...g, title: String(p.title) });
        if (p.type === 'row' || p.type === 'text') continue;
        expect(p.datasource, where).toEqual({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
        const targets = targetsOf(p);
        expect(targets.length, `${where}: targets`).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, `${where}: refIds unique`).toBe(targets.length);
        for (const t of targets) {
          expect(t, where).toMatchObject({ datasource: { type: DATASOURCE_TYPE, uid: DATASOURCE_UID }, rawQuery: true, editorMode: 'code' });
          expect(['table', 'time_series'], where).toContain(t.format);
          expect(typeof t.rawSql === 'string' && t.rawSql.trim().length > 0, where).toBe(true);
        }
      }
    }
  });

  it('defines every template variable a query uses, before the variables that depend on it, and reads only the stable views', () => {
    for (const { file, json } of dashboards) {
      const vars = variablesOf(json);
      const defined: string[] = [];
      for (const v of vars) {
        expect(v.name, file).toMatch(/^\w+$/);
        expect(['query', 'custom', 'textbox', 'constant', 'interval'], `${file}: $${v.name}`).toContain(v.type);
        if (v.type === 'query') {
          expect((v as unknown as { datasource: unknown }).datasource, `${file}: $${v.name}`).toEqual({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
          expect(typeof v.query, `${file}: $${v.name}`).toBe('string');
          for (const r of referencedVariables(v.query ?? '')) expect(defined, `${file}: $${v.name} uses $${r} before it is defined`).toContain(r);
          for (const rel of relationsRead(v.query ?? '')) expect(VIEWS.has(rel), `${file}: $${v.name} reads ${rel}`).toBe(true);
        }
        defined.push(v.name);
      }
      expect(new Set(defined).size, `${file}: variable names unique`).toBe(defined.length);
      for (const p of panelsOf(json))
        for (const t of targetsOf(p)) {
          for (const r of referencedVariables(t.rawSql)) expect(defined, `${file}: ${String(p.title)} uses $${r}`).toContain(r);
          const rels = relationsRead(t.rawSql);
          expect(rels.length, `${file}: ${String(p.title)} reads something`).toBeGreaterThan(0);
          for (const rel of rels) expect(VIEWS.has(rel), `${file}: ${String(p.title)} reads ${rel}, not a stable view`).toBe(true);
        }
    }
  });

  it('has an expected-columns entry for every query and none left over', () => {
    const keys = new Set<string>();
    for (const { json } of dashboards) {
      for (const v of variablesOf(json)) if (v.type === 'query') keys.add(`${String(json.uid)} / $${v.name}`);
      for (const p of panelsOf(json)) for (const t of targetsOf(p)) keys.add(`${String(json.uid)} / ${String(p.title)} / ${t.refId}`);
    }
    expect([...keys].sort()).toEqual(Object.keys(EXPECTED_COLUMNS).sort());
  });

  it('provisions the datasource (TimescaleDB, credentials from the environment) and the dashboard folder the compose file mounts', async () => {
    const ds = parseYaml(await readFile(join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/timescaledb.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: Array<Record<string, unknown> & { jsonData: Record<string, unknown>; secureJsonData: Record<string, unknown> }>;
    };
    expect(ds.apiVersion).toBe(1);
    const [source] = ds.datasources;
    expect(source).toMatchObject({ uid: DATASOURCE_UID, type: DATASOURCE_TYPE, access: 'proxy' });
    expect(source?.jsonData.timescaledb).toBe(true);
    // Nothing secret in the file: user, database and password are environment references.
    for (const value of [source?.user, source?.jsonData.database, source?.secureJsonData.password]) expect(String(value)).toMatch(/^\$\{?[A-Z_]+\}?$/);
    const dash = parseYaml(await readFile(join(REPO_ROOT, 'deploy/grafana/provisioning/dashboards/hazardwatch.yaml'), 'utf8')) as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(dash.apiVersion).toBe(1);
    expect(dash.providers[0]?.type).toBe('file');
    const compose = await readFile(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./deploy/grafana/dashboards:${dash.providers[0]?.options.path}:ro`);
    expect(compose).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

/** Every query of every dashboard, run against a database with the sample data; the same assertions per backend. */
function queriesRunOn(label: string, adminUrl: () => string | undefined, timescale: 'off' | 'on') {
  const url = adminUrl();
  describe.skipIf(url === undefined)(`dashboard queries on ${label}`, () => {
    let db: TestDatabase;
    let sample: SampleData;
    const now = Date.now();
    const base: Omit<MacroContext, 'vars'> = { fromMs: now - 6 * 3_600_000, toMs: now + 60_000, intervalMs: 60_000, timescaledb: timescale === 'on' };

    beforeAll(async () => {
      // The role Grafana's login is a member of in production (deploy/timescaledb/initdb); it exists
      // before migrating, so 0006 grants it the views. Roles are per cluster: created once, kept.
      await ensureDashboardRole(url ?? '');
      db = await createTestDatabase({ timescale, ...(url ? { adminUrl: url } : {}) });
      expect(db.mode).toBe(timescale === 'on' ? 'timescale' : 'plain');
      sample = await loadSampleData(db.pool);
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('runs every template variable query and panel query as the dashboards role, returning the expected columns and rows', async () => {
      const client = await db.pool.connect();
      try {
        // As Grafana's read-only login: whatever a dashboard needs must be granted through the views.
        await client.query('SET ROLE hw_dashboards');
        for (const { json } of dashboards) await runDashboard(client, json, base);
      } finally {
        await client.query('RESET ROLE').catch(() => undefined);
        client.release();
      }
    });

    it('serves the per-minute and per-hour rollups (continuous aggregates or computed on read) equal to aggregating the raw readings', async () => {
      const pointId = sample.pointIds['tk-101.level'];
      for (const [view, width] of [
        ['v_readings_1m', '1 minute'],
        ['v_readings_1h', '1 hour'],
      ] as const) {
        const rollup = await db.pool.query(`SELECT bucket, avg, min, max, last, samples::int AS samples FROM ${view} WHERE point_id = $1 ORDER BY bucket`, [
          pointId,
        ]);
        const raw = await db.pool.query(
          `SELECT date_bin(INTERVAL '${width}', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, avg(value) AS avg, min(value) AS min, max(value) AS max,
                  (array_agg(value ORDER BY time DESC))[1] AS last, count(*)::int AS samples
             FROM v_readings WHERE point_id = $1 GROUP BY 1 ORDER BY 1`,
          [pointId],
        );
        expect(rollup.rows.length, view).toBeGreaterThan(1);
        expect(rollup.rows.length, view).toBe(raw.rows.length);
        rollup.rows.forEach((r, i) => {
          const w = raw.rows[i];
          expect(r.bucket, view).toEqual(w?.bucket);
          expect(r.samples, view).toBe(w?.samples);
          for (const k of ['avg', 'min', 'max', 'last']) expect(r[k], `${view} ${k}`).toBeCloseTo(w?.[k], 9);
        });
      }
    });

    it('lets the dashboards role read the views and not the tables beneath them', async () => {
      const client = await db.pool.connect();
      try {
        await client.query('SET ROLE hw_dashboards');
        expect((await client.query('SELECT count(*)::int AS n FROM v_readings')).rows[0]?.n).toBeGreaterThan(0);
        for (const table of ['readings', 'alarms', 'mqtt_credentials', 'api_keys', 'rule_versions']) {
          await expect(client.query(`SELECT 1 FROM ${table} LIMIT 1`), table).rejects.toMatchObject({ code: '42501' });
        }
      } finally {
        await client.query('RESET ROLE').catch(() => undefined);
        client.release();
      }
    });
  });
}

/** Resolve the variables in order (each option of a multi-value variable selected, like "All"), then run each target. */
async function runDashboard(pool: Queryable, json: DashboardJson, base: Omit<MacroContext, 'vars'>): Promise<void> {
  const uid = String(json.uid);
  const vars: Record<string, VariableValue> = {};
  for (const v of variablesOf(json) as TemplateVariable[]) {
    if (v.type !== 'query') continue;
    const key = `${uid} / $${v.name}`;
    const sql = expandGrafanaSql(v.query ?? '', { ...base, vars });
    const r = await run(pool, sql, key);
    expect(
      r.fields.map((f) => f.name),
      key,
    ).toEqual(EXPECTED_COLUMNS[key]);
    expect(r.rows.length, `${key} offers no option on the sample data`).toBeGreaterThan(0);
    const values = r.rows.map((row) => String(row.__value));
    vars[v.name] = { values: v.multi || v.includeAll ? values : values.slice(0, 1), multi: Boolean(v.multi || v.includeAll) };
  }
  for (const p of panelsOf(json)) {
    for (const t of targetsOf(p)) {
      const key = `${uid} / ${String(p.title)} / ${t.refId}`;
      const sql = expandGrafanaSql(t.rawSql, { ...base, vars });
      const r = await run(pool, sql, key);
      expect(
        r.fields.map((f) => f.name),
        key,
      ).toEqual(EXPECTED_COLUMNS[key]);
      expect(r.rows.length, `${key} returns no row on the sample data`).toBeGreaterThan(0);
      if (t.format === 'time_series') {
        // Grafana needs a time column first, in ascending order, and numeric values.
        const times = r.rows.map((row) => timeOf(row.time));
        expect(
          times.every((x) => Number.isFinite(x)),
          `${key}: time column`,
        ).toBe(true);
        expect(
          times.every((x, i) => i === 0 || x >= (times[i - 1] ?? x)),
          `${key}: ordered by time`,
        ).toBe(true);
        const numeric = r.fields.filter((f) => f.name !== 'time' && f.name !== 'metric');
        for (const f of numeric)
          expect(
            r.rows.some((row) => row[f.name] !== null && Number.isFinite(Number(row[f.name]))),
            `${key}: ${f.name} numeric`,
          ).toBe(true);
      }
      if (p.type === 'geomap') for (const row of r.rows) expect(Number.isFinite(row.latitude) && Number.isFinite(row.longitude), key).toBe(true);
    }
  }
}

async function run(pool: Queryable, sql: string, key: string): Promise<{ fields: Array<{ name: string }>; rows: Array<Record<string, unknown>> }> {
  try {
    return await pool.query(sql);
  } catch (err) {
    throw new Error(`${key} failed: ${(err as Error).message}\n${sql}`, { cause: err });
  }
}

type Queryable = Pool | PoolClient;

/** Create the NOLOGIN role `hw_dashboards` if the cluster has none (concurrent test files may race: both fine). */
async function ensureDashboardRole(adminUrl: string): Promise<void> {
  const admin = createPool(adminUrl, { max: 1 });
  try {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hw_dashboards') THEN CREATE ROLE hw_dashboards NOLOGIN; END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  } finally {
    await admin.end();
  }
}

function timeOf(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  return Number(v);
}

queriesRunOn('plain PostgreSQL', () => process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'off');
queriesRunOn('TimescaleDB (TEST_TIMESCALE_URL)', () => process.env.TEST_TIMESCALE_URL, 'on');
