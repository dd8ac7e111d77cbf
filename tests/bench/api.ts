/**
 * `npm run bench -- api` (once registered in tests/bench/run.ts SUITES as `api: apiSuiteMain`),
 * or directly: `node --conditions=hazardwatch-source --import tsx tests/bench/api.ts [options]`.
 *
 * Two telemetry reads of issue 7, each on an own database of the local PostgreSQL
 * (TEST_DATABASE_URL, default 127.0.0.1:5432) and, when TEST_TIMESCALE_URL is set, of that
 * TimescaleDB server too:
 *   - latest value of every point of an enterprise with `--points` points (10,000);
 *   - a 24-hour chart of one point at 1-minute buckets, over `--days` days (30) of 1 Hz data.
 * Each is timed through the real HTTP API (buildApp, listening on 127.0.0.1 port 0, an admin
 * key from ensureAdminKey, keep-alive fetch, body read completely) and as the bare query
 * function the route calls (latestValuesOf / readingSeries), so the HTTP overhead is
 * visible; also the whole body built by PostgreSQL (latestOfPointsJson), the alternative. The
 * latest read is also timed with values from Redis (the API given `latestValues`, an own prefix,
 * filled by the API's own write-back during warm-up), in both views (`view=values`: pointId, ts,
 * value, quality only), with its parts (registry fingerprint, the Redis read), and against its
 * floor: the same bodies prebuilt and served by the same Fastify without authentication or query. Where the time goes is measured by the other cases: the route's previous query
 * (latestOfPoints: one probe per point into readings, rows parsed into objects), the bare
 * probes (latestReadings), the previous response serialisation (the zod serializer the route
 * used, over latestOfPoints' 10,000 objects), an authenticated request that reads one row
 * (GET /enterprises/{id}: authentication, scope, framework). Requests are sequential (one at a
 * time), after `--warmup` unmeasured ones.
 *
 * Data: the generated load site (points / 8 devices × 8 channels); one row per point at
 * "now" (the latest values), plus `--days` × 86,400 rows at 1 s for the chart point. All rows go
 * through ingest's own commitIngestBatch (batches of 5,000), as in production; then VACUUM ANALYZE of the database; on
 * TimescaleDB the continuous aggregates are refreshed over the whole range before measuring; on plain
 * PostgreSQL the rollup refresher catches up first (timed: its 30-day backfill).
 * Load times are reported.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp, ensureAdminKey, LatestBodies, LatestResponseSchema } from '@hazardwatch/api';
import type { JobReading } from '@hazardwatch/contracts';
import {
  applySiteFile,
  commitIngestBatch,
  latestFingerprintOf,
  latestOfPoints,
  latestOfPointsJson,
  latestReadings,
  latestValuesOf,
  type Pool,
  readingSeries,
  refreshRollups,
} from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { createRedis, markLatestWriter, readLatest } from '@hazardwatch/queue';
import { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';
import { adminDatabaseUrl, createTestDatabase, dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { CpuWindow, fmt, hostInfo, int, type LatencyStats, latencyStats, load1, table, writeResults } from './suites-support/common.js';

export interface ApiSuiteOptions {
  points: number;
  days: number;
  requests: number;
  warmup: number;
  /** Which servers: plain (TEST_DATABASE_URL or local 5432), timescale (TEST_TIMESCALE_URL), or both when that is set. */
  backends: Array<'plain' | 'timescale'>;
  /** Keep the databases (their names are printed) instead of dropping them. */
  keep: boolean;
  out: string | undefined;
  label: string | undefined;
}

export const API_DEFAULTS: ApiSuiteOptions = {
  points: 10_000,
  days: 30,
  requests: 100,
  warmup: 10,
  backends: process.env.TEST_TIMESCALE_URL ? ['plain', 'timescale'] : ['plain'],
  keep: false,
  out: undefined,
  label: undefined,
};

export const API_USAGE = `usage: node --conditions=hazardwatch-source --import tsx tests/bench/api.ts [options]
  --points N        points of the enterprise read by "latest" (default ${API_DEFAULTS.points}; a multiple of 8)
  --days N          days of 1 Hz data of the chart point (default ${API_DEFAULTS.days})
  --requests N      measured requests per case (default ${API_DEFAULTS.requests})
  --warmup N        unmeasured requests before (default ${API_DEFAULTS.warmup})
  --backend plain|timescale|both   (default: both when TEST_TIMESCALE_URL is set, else plain)
  --keep            keep the databases
  --out FILE  --label TEXT
`;

export interface CaseResult {
  name: string;
  path: 'http' | 'query';
  target: string;
  latency: LatencyStats;
  /** Items in one answer (points or buckets). */
  items: number;
  /** HTTP only: response body bytes. */
  bytes?: number;
  /** CPU over the case: this process (HTTP server + client, or the query client) and the whole machine (everything, other sessions included). */
  cpu: { benchCores: number | null; machineBusyCores: number };
}

export interface BackendResult {
  backend: 'plain' | 'timescale';
  server: string;
  database: string;
  serverVersion: string;
  timescaleVersion: string | null;
  load: {
    registryMs: number;
    latestRowsMs: number;
    seriesRows: number;
    seriesMs: number;
    vacuumAnalyzeMs: number;
    /** TimescaleDB: refresh_continuous_aggregate of readings_1m (and readings_1h) over the whole range; plain: the rollup refresher's backfill. */
    refreshAggregateMs: number | null;
    tableSize: string;
  };
  cases: CaseResult[];
  loadavgBefore: number;
  loadavgAfter: number;
}

export interface ApiSuiteResult {
  suite: 'api';
  label: string | undefined;
  startedAt: string;
  host: ReturnType<typeof hostInfo>;
  options: ApiSuiteOptions;
  backends: BackendResult[];
  file?: string;
}

const silent = createLogger({ level: 'silent' });
/** Rows per commit while loading: ingest's default INGEST_BATCH_MAX_ROWS. */
const LOAD_BATCH_ROWS = 5_000;

async function timeIt<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: Math.round(performance.now() - t), value };
}

async function measure(
  o: ApiSuiteOptions,
  run: () => Promise<{ items: number; bytes?: number }>,
): Promise<{ latency: LatencyStats; items: number; bytes?: number }> {
  let last = { items: 0 } as { items: number; bytes?: number };
  for (let i = 0; i < o.warmup; i++) last = await run();
  const samples: number[] = [];
  for (let i = 0; i < o.requests; i++) {
    const t = performance.now();
    last = await run();
    samples.push(performance.now() - t);
  }
  return { latency: latencyStats(samples), ...last };
}

async function runBackend(o: ApiSuiteOptions, backend: 'plain' | 'timescale'): Promise<BackendResult> {
  const adminUrl = backend === 'plain' ? adminDatabaseUrl() : (process.env.TEST_TIMESCALE_URL as string);
  const db = await createTestDatabase({ timescale: backend === 'plain' ? 'off' : 'on', adminUrl });
  if (db.mode !== (backend === 'plain' ? 'plain' : 'timescale')) throw new Error(`${backend}: database migrated in ${db.mode} mode`);
  const pool: Pool = db.pool;
  try {
    const versions = await pool.query<{ v: string; ts: string | null }>(
      `SELECT current_setting('server_version') AS v, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ts`,
    );
    const devices = Math.ceil(o.points / 8);
    const registry = await timeIt(() => applySiteFile(pool, buildLoadSite({ devices, channels: 8, rateHz: 1 })));
    const chartPoint = registry.value.pointIds[`${loadDeviceId(0)}.${LOAD_SITE_IDS.channelPrefix}0`];
    if (chartPoint === undefined) throw new Error('chart point not registered');
    // One fixed "now" (a whole minute) for data and queries: the chart is [now − 24 h, now), 1,440 buckets.
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    // Everything through ingest's commit, in ingest-sized batches, so the derived tables are as in production.
    const commitAll = async (readings: JobReading[]) => {
      for (let i = 0; i < readings.length; i += LOAD_BATCH_ROWS)
        await commitIngestBatch(pool, { readings: readings.slice(i, i + LOAD_BATCH_ROWS), positions: [], statuses: [], deadLetters: [] });
    };
    const points = await pool.query<{ id: number }>('SELECT id FROM measuring_points WHERE id <> $1 ORDER BY id', [chartPoint]);
    const latestRows = await timeIt(() =>
      commitAll(points.rows.map(({ id }) => ({ pointId: id, ts: now - (1 + (id % 10)) * 1000, value: 400 + (id % 200), quality: 'good' as const }))),
    );
    const seriesCount = o.days * 86_400;
    const series = await timeIt(async () => {
      const start = now - o.days * 86_400_000;
      for (let i = 0; i < seriesCount; i += LOAD_BATCH_ROWS * 20) {
        const chunk: JobReading[] = [];
        for (let k = i; k < Math.min(seriesCount, i + LOAD_BATCH_ROWS * 20); k++) {
          const ts = start + k * 1000;
          chunk.push({ pointId: chartPoint, ts, value: 500 + 100 * Math.sin(ts / 600_000), quality: 'good' });
        }
        await commitAll(chunk);
      }
      return { rowCount: seriesCount };
    });
    // The whole database: the registry tables need statistics too (autovacuum's job in production),
    // or the planner takes the 10,000-point registry join for a handful of rows.
    const vacuum = await timeIt(() => pool.query('VACUUM ANALYZE'));
    let refreshAggregateMs: number | null = null;
    if (backend === 'plain') {
      // The rollup refresher caught up (its 30-day backfill, timed), as it stands 30 s into a period
      // with the default lag (60 s) and slice (1 h): the chart's last 1–2 minutes are read raw.
      const r = await timeIt(() => refreshRollups(pool, { lagMs: 60_000, maxSpanMs: 3_600_000 }, now - 30_000));
      if (r.value.status !== 'refreshed' || r.value.rolledToMs !== Math.floor((now - 90_000) / 60_000) * 60_000)
        throw new Error(`rollup refresh did not catch up: ${JSON.stringify(r.value)}`);
      refreshAggregateMs = r.ms;
      await pool.query('ANALYZE readings_rollup_1m, readings_rollup_1h, readings_rollup_pending');
    }
    if (backend === 'timescale') {
      const r = await timeIt(async () => {
        await pool.query(`CALL refresh_continuous_aggregate('readings_1m', NULL, NULL)`);
        await pool.query(`CALL refresh_continuous_aggregate('readings_1h', NULL, NULL)`);
      });
      refreshAggregateMs = r.ms;
    }
    const size = await pool.query<{ s: string }>(
      backend === 'timescale' ? `SELECT pg_size_pretty(hypertable_size('readings')) AS s` : `SELECT pg_size_pretty(pg_total_relation_size('readings')) AS s`,
    );

    const pointIds = Object.values(registry.value.pointIds);
    const from = now - 86_400_000;
    const to = now;
    const app = await buildApp({
      pool,
      log: silent,
      // Sequential benchmark requests from one key: lift the per-key limit on expensive queries (120/min by default).
      config: { port: 0, expensiveQueryLimit: { max: 1_000_000, windowMs: 60_000 } },
    });
    // The floor of the latest-values answer: the same bytes, prebuilt, served by the same Fastify
    // with no authentication, query or splicing (filled in below from one real answer).
    const floorBodies = { full: '', values: '' };
    app.get('/bench-floor/:view', async (req, reply) =>
      reply.type('application/json; charset=utf-8').send((req.params as { view: string }).view === 'values' ? floorBodies.values : floorBodies.full),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/v1`;
    // The same API with ingest's Redis copy of the latest values (own prefix). Filled by the API's
    // own write-back on the first (warm-up) request, as after a Redis restart; ingest keeps it
    // current in production (docs/architecture.md).
    const redisPrefix = testRedisPrefix();
    const redis = createRedis(testRedisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    // Stands in for ingest's writer, whose mark the API requires before it uses the copy.
    await markLatestWriter(redis, redisPrefix, 3_600_000);
    const redisApp = await buildApp({
      pool,
      log: silent,
      config: { port: 0, expensiveQueryLimit: { max: 1_000_000, windowMs: 60_000 } },
      latestValues: { redis, prefix: redisPrefix },
    });
    await redisApp.listen({ host: '127.0.0.1', port: 0 });
    const redisAddr = redisApp.server.address();
    const redisBase = `http://127.0.0.1:${typeof redisAddr === 'object' && redisAddr ? redisAddr.port : 0}/api/v1`;
    const key = await ensureAdminKey(pool);
    if (!key) throw new Error('no admin key');
    // The body is read completely every time but parsed (to count its items) only once per
    // path: the client shares this process, and parsing 1.6 MB is the client's cost, not the API's.
    const counted = new Map<string, number>();
    const get = async (path: string, count: (body: { items: unknown[] }) => number, at = base) => {
      const res = await fetch(`${at}${path}`, { headers: { authorization: `Bearer ${key.key}` } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
      let items = counted.get(path);
      if (items === undefined) {
        items = count(JSON.parse(text));
        counted.set(path, items);
      }
      return { items, bytes: Buffer.byteLength(text) };
    };
    const loadavgBefore = load1();
    const cases: CaseResult[] = [];
    const add = async (name: string, path: 'http' | 'query', target: string, run: () => Promise<{ items: number; bytes?: number }>) => {
      const w = new CpuWindow({ bench: process.pid });
      const m = await measure(o, run);
      const c = w.end();
      cases.push({ name, path, target, ...m, cpu: { benchCores: c.cores.bench ?? null, machineBusyCores: c.machineBusyCores } });
    };
    try {
      const latestTarget = '≤ 20 ms';
      const chartTarget = '≤ 50 ms';
      await add(`latest of ${o.points} points`, 'http', latestTarget, () =>
        get(`/telemetry/latest?enterpriseId=${LOAD_SITE_IDS.enterpriseId}`, (b) => b.items.length),
      );
      const of = { enterpriseId: LOAD_SITE_IDS.enterpriseId };
      {
        const res = await fetch(`${base}/telemetry/latest?enterpriseId=${LOAD_SITE_IDS.enterpriseId}`, { headers: { authorization: `Bearer ${key.key}` } });
        floorBodies.full = await res.text();
        const items = (JSON.parse(floorBodies.full) as { items: Array<{ pointId: number; ts: number | null; value: number | null; quality: string | null }> })
          .items;
        floorBodies.values = JSON.stringify({ items: items.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })) });
      }
      const floorGet = async (view: 'full' | 'values') => {
        const res = await fetch(`${base.replace(/\/api\/v1$/, '')}/bench-floor/${view}`);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`floor ${view}: ${res.status}`);
        return { items: o.points, bytes: Buffer.byteLength(text) };
      };
      const latestPath = `/telemetry/latest?enterpriseId=${LOAD_SITE_IDS.enterpriseId}`;
      await add(`latest of ${o.points} points, values from Redis`, 'http', latestTarget, () => get(latestPath, (b) => b.items.length, redisBase));
      await add(`latest of ${o.points} points, values from Redis, view=values`, 'http', latestTarget, () =>
        get(`${latestPath}&view=values`, (b) => b.items.length, redisBase),
      );
      await add(`latest of ${o.points} points, PostgreSQL only, view=values`, 'http', latestTarget, () =>
        get(`${latestPath}&view=values`, (b) => b.items.length),
      );
      await add(`– registry fingerprint (latestFingerprintOf)`, 'query', '-', async () => ({
        items: Number((await latestFingerprintOf(pool, { kind: 'all' }, of)).split(':')[0]),
      }));
      await add(`– read of ${o.points} points from Redis (readLatest)`, 'query', '-', async () => ({
        items: (await readLatest(redis, redisPrefix, pointIds)).filter((v) => v !== undefined).length,
      }));
      // The route's work without HTTP: the same LatestBodies the Redis-backed API uses, called directly.
      const bodies = new LatestBodies(pool, { source: { redis, prefix: redisPrefix } });
      await add(`– the answer built from Redis values (LatestBodies.body, no HTTP)`, 'query', '-', async () => ({
        items: o.points,
        bytes: Buffer.byteLength(await bodies.body({ kind: 'all' }, of)),
      }));
      await add(`floor: the full body prebuilt, served without auth or query`, 'http', latestTarget, () => floorGet('full'));
      await add(`floor: values-only body prebuilt, served without auth or query`, 'http', latestTarget, () => floorGet('values'));
      await add(`latest of ${o.points} points: values and fingerprint (latestValuesOf)`, 'query', latestTarget, async () => ({
        items: (await latestValuesOf(pool, { kind: 'all' }, of)).values.split(';').length,
      }));
      await add(`alternative: whole body built by PostgreSQL (latestOfPointsJson)`, 'query', '-', async () => ({
        items: JSON.parse(await latestOfPointsJson(pool, { kind: 'all' }, of)).length,
      }));
      await add(`before: latest of ${o.points} points (latestOfPoints)`, 'query', '-', async () => ({
        items: (await latestOfPoints(pool, { kind: 'all' }, of)).length,
      }));
      await add(`before: latest of ${o.points} points (latestReadings)`, 'query', '-', async () => ({ items: (await latestReadings(pool, pointIds)).length }));
      // The serialisation the route did before: the zod response serializer over latestOfPoints' objects.
      const objects = { items: await latestOfPoints(pool, { kind: 'all' }, of) };
      const serialize = serializerCompiler({ schema: LatestResponseSchema, method: 'GET', url: '/telemetry/latest' }) as (data: unknown) => string;
      await add(`before: zod response serializer, ${o.points} items`, 'query', '-', async () => ({
        items: objects.items.length,
        bytes: Buffer.byteLength(serialize(objects)),
      }));
      await add('authenticated read of one row (GET /enterprises/{id})', 'http', '-', async () => {
        const res = await fetch(`${base}/enterprises/${LOAD_SITE_IDS.enterpriseId}`, { headers: { authorization: `Bearer ${key.key}` } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET /enterprises: ${res.status} ${text.slice(0, 300)}`);
        return { items: 1, bytes: Buffer.byteLength(text) };
      });
      await add('24 h chart, 1 min buckets', 'http', chartTarget, () =>
        get(`/telemetry/series?points=${chartPoint}&from=${from}&to=${to}&bucket=1m`, (b) => b.items.length),
      );
      await add('24 h chart, 1 min buckets (readingSeries)', 'query', chartTarget, async () => ({
        items: (await readingSeries(pool, { pointIds: [chartPoint], fromMs: from, toMs: to, bucket: '1m', limit: 100_001 })).length,
      }));
    } finally {
      await app.close();
      await redisApp.close();
      redis.disconnect();
      await dropRedisPrefix(redisPrefix);
    }
    return {
      backend,
      server: new URL(adminUrl).host,
      database: db.name,
      serverVersion: versions.rows[0]?.v ?? 'unknown',
      timescaleVersion: versions.rows[0]?.ts ?? null,
      load: {
        registryMs: registry.ms,
        latestRowsMs: latestRows.ms,
        seriesRows: series.value.rowCount ?? 0,
        seriesMs: series.ms,
        vacuumAnalyzeMs: vacuum.ms,
        refreshAggregateMs,
        tableSize: size.rows[0]?.s ?? '?',
      },
      cases,
      loadavgBefore,
      loadavgAfter: load1(),
    };
  } finally {
    if (o.keep) process.stdout.write(`kept database ${db.name} on ${new URL(adminUrl).host}\n`);
    else await db.drop();
  }
}

export function formatApiResult(r: ApiSuiteResult): string {
  const parts = [`api bench — ${r.host.cpus} × ${r.host.cpuModel}, node ${r.host.node}${r.label ? ` — ${r.label}` : ''}`];
  for (const b of r.backends) {
    parts.push(
      `\n${b.backend} (PostgreSQL ${b.serverVersion}${b.timescaleVersion ? `, TimescaleDB ${b.timescaleVersion}` : ''} at ${b.server}); load average ${b.loadavgBefore} → ${b.loadavgAfter}`,
      `load: registry ${int(b.load.registryMs)} ms; latest rows ${int(b.load.latestRowsMs)} ms; ${int(b.load.seriesRows)} series rows ${int(b.load.seriesMs)} ms; VACUUM ANALYZE ${int(b.load.vacuumAnalyzeMs)} ms${
        b.load.refreshAggregateMs === null
          ? ''
          : `; ${b.backend === 'plain' ? 'rollup refresher backfill' : 'refresh continuous aggregates'} ${int(b.load.refreshAggregateMs)} ms`
      }; readings ${b.load.tableSize}`,
      table(
        ['case', 'path', 'n', 'items', 'KiB', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target', 'bench cores', 'machine busy'],
        b.cases.map((c) => [
          c.name,
          c.path,
          String(c.latency.n),
          String(c.items),
          c.bytes === undefined ? '-' : fmt(c.bytes / 1024, 0),
          fmt(c.latency.p50Ms),
          fmt(c.latency.p90Ms),
          fmt(c.latency.p99Ms),
          fmt(c.latency.maxMs),
          c.target,
          fmt(c.cpu.benchCores, 2),
          `${fmt(c.cpu.machineBusyCores, 2)}/${r.host.cpus}`,
        ]),
      ),
    );
  }
  if (r.file) parts.push(`\nresults: ${r.file}`);
  return `${parts.join('\n')}\n`;
}

export async function runApiSuite(opts: Partial<ApiSuiteOptions> = {}): Promise<ApiSuiteResult> {
  const o: ApiSuiteOptions = { ...API_DEFAULTS, ...opts };
  if (o.backends.includes('timescale') && !process.env.TEST_TIMESCALE_URL) throw new Error('TimescaleDB asked for but TEST_TIMESCALE_URL is not set');
  const result: ApiSuiteResult = { suite: 'api', label: o.label, startedAt: new Date().toISOString(), host: hostInfo(), options: o, backends: [] };
  for (const b of o.backends) result.backends.push(await runBackend(o, b));
  result.file = await writeResults('api', result, o.out);
  process.stdout.write(formatApiResult(result));
  return result;
}

export function parseApiArgs(argv: string[]): Partial<ApiSuiteOptions> | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      points: { type: 'string' },
      days: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      backend: { type: 'string' },
      keep: { type: 'boolean' },
      out: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (v.help) return 'help';
  const o: Partial<ApiSuiteOptions> = {};
  const num = (s: string | undefined, flag: string, min: number): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: '${s}' must be a whole number ≥ ${min}`);
    return n;
  };
  const points = num(v.points, 'points', 8);
  if (points !== undefined) o.points = points;
  const days = num(v.days, 'days', 1);
  if (days !== undefined) o.days = days;
  const requests = num(v.requests, 'requests', 1);
  if (requests !== undefined) o.requests = requests;
  const warmup = num(v.warmup, 'warmup', 0);
  if (warmup !== undefined) o.warmup = warmup;
  if (v.backend !== undefined) {
    if (v.backend === 'both') o.backends = ['plain', 'timescale'];
    else if (v.backend === 'plain' || v.backend === 'timescale') o.backends = [v.backend];
    else throw new Error('--backend: plain, timescale or both');
  }
  if (v.keep) o.keep = true;
  if (v.out !== undefined) o.out = v.out;
  if (v.label !== undefined) o.label = v.label;
  return o;
}

/** Entry for tests/bench/run.ts (argv after the suite name): resolves with the exit code. */
export async function apiSuiteMain(argv: string[]): Promise<number> {
  const o = parseApiArgs(argv);
  if (o === 'help') {
    process.stdout.write(API_USAGE);
    return 0;
  }
  await runApiSuite(o);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await apiSuiteMain(process.argv.slice(2));
