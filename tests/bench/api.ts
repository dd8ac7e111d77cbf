/**
 * `npm run bench -- api [options]`, or directly: `node --conditions=hazardwatch-source --import tsx tests/bench/api.ts [options]`.
 *
 * Two telemetry reads of issue 7, each on an own database of the local PostgreSQL
 * (TEST_DATABASE_URL, default 127.0.0.1:5432) and, when TEST_TIMESCALE_URL is set, of that
 * TimescaleDB server too:
 *   - latest value of every point of an enterprise with `--points` points (10,000);
 *   - a 24-hour chart of one point at 1-minute buckets, over `--days` days (30) of 1 Hz data.
 * Each is timed through the real HTTP API, served by a process of its own (api-server-main.ts:
 * buildApp listening on 127.0.0.1, port 0), from a client process of its own too (api-client-main.ts:
 * a fresh heap, away from this process's loaded data and its collections; `--client in-process`:
 * from this process, as before), with an admin key from ensureAdminKey, keep-alive fetch, body read
 * completely as bytes; and, in this process without HTTP
 * ("in-process" in the output), as the bare query function the route calls (latestValuesOf / readingSeries), so the HTTP overhead is
 * visible; also the whole body built by PostgreSQL (latestOfPointsJson), the alternative. The
 * latest read is also timed with values from Redis (the API given `latestValues`, an own prefix,
 * filled by the API's own write-back during warm-up), in both views (`view=values`: pointId, ts,
 * value, quality only), with its parts (registry fingerprint, the Redis read), and against its
 * floor: the same bodies prebuilt and served by the API process's Fastify without authentication
 * or query. Where the time goes is measured by the other cases: the route's previous query
 * (latestOfPoints: one probe per point into readings, rows parsed into objects), the bare
 * probes (latestReadings), the previous response serialisation (the zod serializer the route
 * used, over latestOfPoints' 10,000 objects), an authenticated request that reads one row
 * (GET /enterprises/{id}: authentication, scope, framework). Requests are sequential (one at a
 * time), after `--warmup` unmeasured ones.
 *
 * Per HTTP case the API process reports its side of the measured requests (api-server-main.ts):
 * its GC pauses, CPU, event-loop delay, each request's server-side time, and its PostgreSQL and
 * Redis call times; with the client's own GC pauses and run-queue wait, the slowest requests are
 * set against the rest (api-tail.ts), so a tail shows whether the API process stood (GC), waited
 * (PostgreSQL, Redis) or the client did.
 *
 * Data: the generated load site (points / 8 devices × 8 channels); one row per point at
 * "now" (the latest values), plus `--days` × 86,400 rows at 1 s for the chart point. All rows go
 * through ingest's own commitIngestBatch (batches of 5,000), as in production; then VACUUM ANALYZE of the database; on
 * TimescaleDB the continuous aggregates are refreshed over the whole range before measuring; on plain
 * PostgreSQL the rollup refresher catches up first (timed: its 30-day backfill).
 * Load times are reported.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureAdminKey, LatestBodies, LatestResponseSchema } from '@hazardwatch/api';
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
import { createRedis, markLatestWriter, readLatest } from '@hazardwatch/queue';
import { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';
import { adminDatabaseUrl, createTestDatabase, dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { spawnApiClient } from './api-client.js';
import type { ClientWindow } from './api-client-protocol.js';
import { spawnApiServer } from './api-server.js';
import type { ServerWindow } from './api-server-protocol.js';
import { analyseTail, type TailAnalysis } from './api-tail.js';
import { awaitCpuProfile, cpuProfilePath, type ProfileSummary } from './lib/cpu-profile.js';
import { epochMs, GcRecorder, type GcSummary, summariseGc } from './lib/gc-pauses.js';
import { schedDeltaMs, stealTicks, threadSchedNs } from './lib/run-queue.js';
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
  /** Only the HTTP cases (the in-process function cases left out). */
  httpOnly: boolean;
  /** Where the HTTP client runs: a fresh process of its own (child), or this process (in-process, with the loaded data's heap). */
  client: 'child' | 'in-process';
  /** The client process's HTTP: fetch (as the in-process client), or node:http (less client garbage). */
  clientHttp: 'fetch' | 'node';
  /** Extra node flags of the API process, e.g. `--trace-gc`. */
  apiNodeFlags: string[];
  /** File for the API process's stdout and stderr (`{backend}` is replaced); else only kept for errors. */
  apiLog: string | undefined;
  /** V8 CPU profile of the API process over the Redis full-view case, into this directory. */
  cpuProfileDir: string | undefined;
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
  httpOnly: false,
  client: 'child',
  clientHttp: 'node',
  apiNodeFlags: [],
  apiLog: undefined,
  cpuProfileDir: undefined,
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
  --http-only       only the HTTP cases (leave out the functions timed in the bench process)
  --client child|in-process   where the HTTP client runs: a fresh process of its own (default), or the bench process
  --client-http node|fetch    the client process's HTTP: node:http (default: keep-alive Agent, every chunk read, none joined) or fetch (undici, as the in-process client; its body copies set off full collections every few requests in a small heap, docs/benchmarks.md)
  --api-node-flags="FLAGS"  node flags of the API process, space-separated, e.g. --api-node-flags=--trace-gc (with "=": they start with a dash)
  --api-log FILE    the API process's stdout and stderr ({backend} replaced), e.g. its --trace-gc lines
  --cpu-prof DIR    V8 CPU profile of the API process over the Redis full-view case into DIR, summarised in the results
  --out FILE  --label TEXT
`;

/** The API process over one HTTP case (api-server-main.ts). */
export interface ApiWindow {
  /** Server-side time per request: parsed → last byte written, and parsed → body handed to `res.end`. */
  latency: LatencyStats;
  handler: LatencyStats;
  gc: GcSummary;
  cpu: { userMs: number; systemMs: number; cores: number };
  mainThread: ServerWindow['mainThread'];
  eventLoopDelay: ServerWindow['eventLoopDelay'];
  heapUsedMiB: ServerWindow['heapUsedMiB'];
  /** Its PostgreSQL queries and Redis calls (pipelines and single commands) over the case. */
  pg: { n: number; p50Ms: number; p99Ms: number; maxMs: number };
  redis: { n: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export interface CaseResult {
  name: string;
  /** `http`: requests from the client (options.client) to the API process; `in-process`: a function called in this process, no HTTP. */
  path: 'http' | 'in-process';
  target: string;
  /** As this process timed it (HTTP: request sent → body read). */
  latency: LatencyStats;
  /** Items in one answer (points or buckets). */
  items: number;
  /** Response body bytes (HTTP; or the answer built). */
  bytes?: number;
  /** CPU over the case: this process (the functions, or the HTTP client with `--client in-process`), the client process, the API process, and the whole machine (other sessions included). */
  cpu: { benchCores: number | null; clientCores?: number | null; apiCores: number | null; machineBusyCores: number; stealCores: number };
  /** This process's main thread over the case: on a CPU, and runnable but waiting for one. */
  benchMainThread: { onCpuMs: number; runWaitMs: number };
  /** GC pauses of this process over the case. */
  benchGc: GcSummary;
  /** HTTP from the client process only: its GC pauses and main thread over the case. */
  client?: { gc: GcSummary; mainThread: { onCpuMs: number; runWaitMs: number } };
  /** HTTP only. */
  api?: ApiWindow;
  /** HTTP only: the slowest requests against the rest; null when the API process's requests could not be matched. */
  tail?: TailAnalysis | null;
  apiProfile?: ProfileSummary;
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

/** One HTTP case's request: a GET, and its items when known without parsing the body. */
interface HttpCase {
  url: string;
  headers: Record<string, string>;
  items?: number;
}

/** Rows per commit while loading: ingest's default INGEST_BATCH_MAX_ROWS. */
const LOAD_BATCH_ROWS = 5_000;

async function timeIt<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: Math.round(performance.now() - t), value };
}

function apiWindowOf(w: ServerWindow): ApiWindow {
  const calls = (xs: ServerWindow['pg']) => {
    const l = latencyStats(xs.map((x) => x.ms));
    return { n: l.n, p50Ms: l.p50Ms, p99Ms: l.p99Ms, maxMs: l.maxMs };
  };
  return {
    latency: latencyStats(w.requests.map((r) => r.ms)),
    handler: latencyStats(w.requests.map((r) => r.handlerMs)),
    gc: summariseGc(w.gc),
    cpu: { ...w.cpu, cores: Math.round(((w.cpu.userMs + w.cpu.systemMs) / Math.max(1, w.wallMs)) * 100) / 100 },
    mainThread: w.mainThread,
    eventLoopDelay: w.eventLoopDelay,
    heapUsedMiB: w.heapUsedMiB,
    pg: calls(w.pg),
    redis: calls(w.redis),
  };
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
    // Ingest's Redis copy of the latest values (own prefix), for the API process's second
    // instance. Filled by the API's own write-back on the first (warm-up) request, as after a
    // Redis restart; ingest keeps it current in production (docs/architecture.md).
    const redisPrefix = testRedisPrefix();
    const redis = createRedis(testRedisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    // Stands in for ingest's writer, whose mark the API requires before it uses the copy.
    await markLatestWriter(redis, redisPrefix, 3_600_000);
    const key = await ensureAdminKey(pool);
    if (!key) throw new Error('no admin key');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const profileFile = o.cpuProfileDir ? cpuProfilePath(o.cpuProfileDir, `api-${backend}-${stamp}.cpuprofile`) : undefined;
    const server = await spawnApiServer({
      databaseUrl: db.url,
      redisUrl: testRedisUrl(),
      redisPrefix,
      nodeFlags: o.apiNodeFlags,
      ...(profileFile ? { cpuProfile: profileFile } : {}),
      ...(o.apiLog ? { logFile: o.apiLog.replace('{backend}', backend) } : {}),
    });
    const client = o.client === 'child' ? await spawnApiClient() : undefined;
    const benchGc = new GcRecorder();
    const auth = { authorization: `Bearer ${key.key}` };
    // The body is read completely every time, as bytes (no decoding), and parsed (to count its
    // items) only once per URL: parsing 1.6 MB is the client's cost, not the API's.
    const counted = new Map<string, number>();
    const get = async (h: HttpCase) => {
      const res = await fetch(h.url, { headers: h.headers });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`GET ${h.url}: ${res.status} ${body.toString('utf8', 0, 300)}`);
      let items = h.items ?? counted.get(h.url);
      if (items === undefined) {
        items = (JSON.parse(body.toString('utf8')) as { items: unknown[] }).items.length;
        counted.set(h.url, items);
      }
      return { items, bytes: body.length };
    };
    const loadavgBefore = load1();
    const cases: CaseResult[] = [];
    let windowId = 0;
    const add = async (
      name: string,
      path: 'http' | 'in-process',
      target: string,
      work: (() => Promise<{ items: number; bytes?: number }>) | HttpCase,
      opts: { profile?: boolean } = {},
    ) => {
      // An HTTP case runs in the client process, or here as a closure with `--client in-process`.
      const h = typeof work === 'function' ? undefined : work;
      const run = typeof work === 'function' ? work : client ? undefined : () => get(work);
      const inClient = (count: number) => {
        if (!client || !h) throw new Error('no client process');
        return client.run({ url: h.url, headers: h.headers, count, countItems: h.items === undefined && !counted.has(h.url), http: o.clientHttp });
      };
      let last = { items: 0 } as { items: number; bytes?: number };
      if (run) for (let i = 0; i < o.warmup; i++) last = await run();
      else if (o.warmup > 0) {
        // Items counted here, outside the measured window.
        const items = (await inClient(o.warmup)).items;
        if (h && items !== null) counted.set(h.url, items);
      }
      const id = ++windowId;
      const profiled = path === 'http' && opts.profile === true && profileFile !== undefined;
      if (profiled) server.toggleProfile();
      if (path === 'http') await server.startWindow(id, name);
      benchGc.start();
      const w = new CpuWindow({ bench: process.pid, api: server.pid, ...(client && !run ? { client: client.pid } : {}) });
      const steal0 = stealTicks();
      const sched0 = threadSchedNs();
      let requests: Array<{ atMs: number; ms: number; runWaitMs: number }> = [];
      let cw: ClientWindow | undefined;
      if (run)
        for (let i = 0; i < o.requests; i++) {
          const atMs = epochMs();
          const s = threadSchedNs();
          last = await run();
          const ms = epochMs() - atMs;
          requests.push({ atMs, ms, runWaitMs: schedDeltaMs(s, threadSchedNs()).waitMs });
        }
      else {
        cw = await inClient(o.requests);
        requests = cw.requests;
      }
      const c = w.end();
      const steal1 = stealTicks();
      const main = schedDeltaMs(sched0, threadSchedNs());
      const benchPauses = await benchGc.stop();
      const win = path === 'http' ? await server.endWindow(id) : undefined;
      if (cw && h) {
        const items = h.items ?? cw.items ?? counted.get(h.url);
        if (items === undefined) throw new Error(`${name}: items not counted`);
        counted.set(h.url, items);
        last = { items, bytes: cw.bytes };
      }
      let profile: ProfileSummary | undefined;
      if (profiled) {
        server.toggleProfile();
        profile = await awaitCpuProfile(profileFile, 'API CPU profile written', 60_000);
      }
      cases.push({
        name,
        path,
        target,
        latency: latencyStats(requests.map((x) => x.ms)),
        ...last,
        cpu: {
          benchCores: c.cores.bench ?? null,
          ...(cw ? { clientCores: c.cores.client ?? null } : {}),
          apiCores: c.cores.api ?? null,
          machineBusyCores: c.machineBusyCores,
          stealCores: Math.round(((steal1.steal - steal0.steal) / Math.max(1, steal1.total - steal0.total)) * cpus().length * 100) / 100,
        },
        benchMainThread: { onCpuMs: Math.round(main.onCpuMs * 100) / 100, runWaitMs: Math.round(main.waitMs * 100) / 100 },
        benchGc: summariseGc(benchPauses),
        ...(cw ? { client: { gc: summariseGc(cw.gc), mainThread: cw.mainThread } } : {}),
        // The tail against the GC of whichever process the client ran in.
        ...(win ? { api: apiWindowOf(win), tail: analyseTail(requests, win, cw ? cw.gc : benchPauses) } : {}),
        ...(profile ? { apiProfile: profile } : {}),
      });
    };
    try {
      const latestTarget = '≤ 20 ms';
      const chartTarget = '≤ 50 ms';
      const latestPath = `/telemetry/latest?enterpriseId=${LOAD_SITE_IDS.enterpriseId}`;
      await add(`latest of ${o.points} points`, 'http', latestTarget, { url: `${server.plainBase}${latestPath}`, headers: auth });
      const of = { enterpriseId: LOAD_SITE_IDS.enterpriseId };
      // The floor of the latest-values answer: the same bytes, prebuilt, served by the API
      // process's Fastify with no authentication, query or splicing (from one real answer).
      {
        const res = await fetch(`${server.plainBase}${latestPath}`, { headers: auth });
        const full = await res.text();
        const items = (JSON.parse(full) as { items: Array<{ pointId: number; ts: number | null; value: number | null; quality: string | null }> }).items;
        await server.setFloor(full, JSON.stringify({ items: items.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })) }));
      }
      const floorGet = (view: 'full' | 'values'): HttpCase => ({ url: `${server.floorBase}/${view}`, headers: {}, items: o.points });
      await add(
        `latest of ${o.points} points, values from Redis`,
        'http',
        latestTarget,
        { url: `${server.redisBase}${latestPath}`, headers: auth },
        { profile: true },
      );
      await add(`latest of ${o.points} points, values from Redis, view=values`, 'http', latestTarget, {
        url: `${server.redisBase}${latestPath}&view=values`,
        headers: auth,
      });
      await add(`latest of ${o.points} points, PostgreSQL only, view=values`, 'http', latestTarget, {
        url: `${server.plainBase}${latestPath}&view=values`,
        headers: auth,
      });
      if (!o.httpOnly) {
        await add(`– registry fingerprint (latestFingerprintOf)`, 'in-process', '-', async () => ({
          items: Number((await latestFingerprintOf(pool, { kind: 'all' }, of)).split(':')[0]),
        }));
        await add(`– read of ${o.points} points from Redis (readLatest)`, 'in-process', '-', async () => ({
          items: (await readLatest(redis, redisPrefix, pointIds)).filter((v) => v !== undefined).length,
        }));
        // The route's work without HTTP: the same LatestBodies the Redis-backed API uses, called directly.
        const bodies = new LatestBodies(pool, { source: { redis, prefix: redisPrefix } });
        await add(`– the answer built from Redis values (LatestBodies.body, no HTTP)`, 'in-process', '-', async () => ({
          items: o.points,
          bytes: Buffer.byteLength(await bodies.body({ kind: 'all' }, of)),
        }));
      }
      await add(`floor: the full body prebuilt, served without auth or query`, 'http', latestTarget, floorGet('full'));
      await add(`floor: values-only body prebuilt, served without auth or query`, 'http', latestTarget, floorGet('values'));
      if (!o.httpOnly) {
        await add(`latest of ${o.points} points: values and fingerprint (latestValuesOf)`, 'in-process', latestTarget, async () => ({
          items: (await latestValuesOf(pool, { kind: 'all' }, of)).values.split(';').length,
        }));
        await add(`alternative: whole body built by PostgreSQL (latestOfPointsJson)`, 'in-process', '-', async () => ({
          items: JSON.parse(await latestOfPointsJson(pool, { kind: 'all' }, of)).length,
        }));
        await add(`before: latest of ${o.points} points (latestOfPoints)`, 'in-process', '-', async () => ({
          items: (await latestOfPoints(pool, { kind: 'all' }, of)).length,
        }));
        await add(`before: latest of ${o.points} points (latestReadings)`, 'in-process', '-', async () => ({
          items: (await latestReadings(pool, pointIds)).length,
        }));
        // The serialisation the route did before: the zod response serializer over latestOfPoints' objects.
        const objects = { items: await latestOfPoints(pool, { kind: 'all' }, of) };
        const serialize = serializerCompiler({ schema: LatestResponseSchema, method: 'GET', url: '/telemetry/latest' }) as (data: unknown) => string;
        await add(`before: zod response serializer, ${o.points} items`, 'in-process', '-', async () => ({
          items: objects.items.length,
          bytes: Buffer.byteLength(serialize(objects)),
        }));
      }
      await add('authenticated read of one row (GET /enterprises/{id})', 'http', '-', {
        url: `${server.plainBase}/enterprises/${LOAD_SITE_IDS.enterpriseId}`,
        headers: auth,
        items: 1,
      });
      await add('24 h chart, 1 min buckets', 'http', chartTarget, {
        url: `${server.plainBase}/telemetry/series?points=${chartPoint}&from=${from}&to=${to}&bucket=1m`,
        headers: auth,
      });
      if (!o.httpOnly)
        await add('24 h chart, 1 min buckets (readingSeries)', 'in-process', chartTarget, async () => ({
          items: (await readingSeries(pool, { pointIds: [chartPoint], fromMs: from, toMs: to, bucket: '1m', limit: 100_001 })).length,
        }));
    } finally {
      benchGc.close();
      await client?.stop();
      await server.stop();
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

const gcText = (g: GcSummary | undefined) => (g ? `${g.count} / ${fmt(g.totalMs)} / ${fmt(g.maxMs)}` : '-');

/** The tail of one HTTP case in a few lines: the slowest 10 % against the rest, then the slowest requests. */
function tailLines(c: CaseResult): string[] {
  const t = c.tail;
  if (!t) return [`  ${c.name}: ${t === null ? "the API process's requests did not match the client's" : 'no tail'}`];
  const g = (x: TailAnalysis['slow']) =>
    `client ${fmt(x.clientMs)}, server ${fmt(x.serverMs)} (handler ${fmt(x.handlerMs)}), outside server ${fmt(x.outsideServerMs)}; API GC ${fmt(x.apiGcMs)} ms in ${fmt(100 * x.withApiGc, 0)} % (mark-compact in ${fmt(100 * x.withApiMajorGc, 0)} %); client GC ${fmt(x.benchGcMs)} ms in ${fmt(100 * x.withBenchGc, 0)} %; waiting for a core: API ${fmt(x.apiRunWaitMs)}, client ${fmt(x.benchRunWaitMs)}; longest pg ${fmt(x.pgMaxMs)}, redis ${fmt(x.redisMaxMs)}`;
  return [
    `  ${c.name}`,
    `    slowest 10 % (≥ ${fmt(t.slowFromMs)} ms, n ${t.slow.n}), means: ${g(t.slow)}`,
    `    the rest (n ${t.rest.n}), means:          ${g(t.rest)}`,
    ...t.slowest.map(
      (x) =>
        `    ${fmt(x.clientMs).padStart(6)} ms: server ${fmt(x.serverMs)} (handler ${fmt(x.handlerMs)}), API GC ${fmt(x.apiGcMs)}${x.apiGcKinds ? ` [${x.apiGcKinds}]` : ''}, client GC ${fmt(x.benchGcMs)}, waiting for a core: API ${fmt(x.apiRunWaitMs)}, client ${fmt(x.benchRunWaitMs)}; pg ${fmt(x.pgMaxMs)}, redis ${fmt(x.redisMaxMs)}`,
    ),
  ];
}

export function formatApiResult(r: ApiSuiteResult): string {
  const parts = [`api bench — ${r.host.cpus} × ${r.host.cpuModel}, node ${r.host.node}${r.label ? ` — ${r.label}` : ''}`];
  const lat = (c: CaseResult) => [fmt(c.latency.p50Ms), fmt(c.latency.p90Ms), fmt(c.latency.p99Ms), fmt(c.latency.maxMs)];
  for (const b of r.backends) {
    const http = b.cases.filter((c) => c.path === 'http');
    const local = b.cases.filter((c) => c.path === 'in-process');
    parts.push(
      `\n${b.backend} (PostgreSQL ${b.serverVersion}${b.timescaleVersion ? `, TimescaleDB ${b.timescaleVersion}` : ''} at ${b.server}); load average ${b.loadavgBefore} → ${b.loadavgAfter}`,
      `load: registry ${int(b.load.registryMs)} ms; latest rows ${int(b.load.latestRowsMs)} ms; ${int(b.load.seriesRows)} series rows ${int(b.load.seriesMs)} ms; VACUUM ANALYZE ${int(b.load.vacuumAnalyzeMs)} ms${
        b.load.refreshAggregateMs === null
          ? ''
          : `; ${b.backend === 'plain' ? 'rollup refresher backfill' : 'refresh continuous aggregates'} ${int(b.load.refreshAggregateMs)} ms`
      }; readings ${b.load.tableSize}`,
      `\nHTTP: the API in its own process, the client ${r.options.client === 'child' ? `in its own (fresh) process, ${r.options.clientHttp === 'node' ? 'node:http' : 'fetch'}` : 'in this (the bench) process, fetch'} (latency as the client saw it; "server": request parsed → last byte written, in the API process; GC: count / total / max ms; run-queue wait: main threads runnable without a core)`,
      table(
        [
          'case',
          'n',
          'items',
          'KiB',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'target',
          'server p50/p99',
          'API GC',
          'client GC',
          'bench GC',
          'API cores',
          'client cores',
          'bench cores',
          'run-queue wait API/client ms',
          'machine busy',
          'steal',
        ],
        http.map((c) => [
          c.name,
          String(c.latency.n),
          String(c.items),
          c.bytes === undefined ? '-' : fmt(c.bytes / 1024, 0),
          ...lat(c),
          c.target,
          c.api ? `${fmt(c.api.latency.p50Ms)}/${fmt(c.api.latency.p99Ms)}` : '-',
          gcText(c.api?.gc),
          gcText(c.client?.gc ?? c.benchGc),
          gcText(c.benchGc),
          fmt(c.cpu.apiCores, 2),
          fmt(c.client ? c.cpu.clientCores : c.cpu.benchCores, 2),
          fmt(c.cpu.benchCores, 2),
          `${fmt(c.api?.mainThread.runWaitMs, 0)}/${fmt((c.client?.mainThread ?? c.benchMainThread).runWaitMs, 0)}`,
          `${fmt(c.cpu.machineBusyCores, 2)}/${r.host.cpus}`,
          fmt(c.cpu.stealCores, 2),
        ]),
      ),
    );
    if (local.length > 0)
      parts.push(
        `\nin-process: functions called in this (the bench) process, no HTTP, no API process`,
        table(
          ['case', 'n', 'items', 'KiB', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target', 'bench GC', 'bench cores', 'run-queue wait ms', 'machine busy'],
          local.map((c) => [
            c.name,
            String(c.latency.n),
            String(c.items),
            c.bytes === undefined ? '-' : fmt(c.bytes / 1024, 0),
            ...lat(c),
            c.target,
            gcText(c.benchGc),
            fmt(c.cpu.benchCores, 2),
            fmt(c.benchMainThread.runWaitMs, 0),
            `${fmt(c.cpu.machineBusyCores, 2)}/${r.host.cpus}`,
          ]),
        ),
      );
    const latest = http.filter((c) => c.name.startsWith('latest of'));
    if (latest.length > 0) parts.push('\ntails of the latest-values cases (ms):', ...latest.flatMap(tailLines));
    for (const c of http)
      if (c.apiProfile)
        parts.push(
          `\nCPU profile of the API process over "${c.name}" (${c.apiProfile.file}): busy ${int(c.apiProfile.busyMs)} of ${int(c.apiProfile.wallMs)} ms`,
          ...c.apiProfile.byArea.slice(0, 12).map((a) => `  ${a.name}: ${int(a.ms)} ms (${fmt(a.pctOfBusy)} %)`),
          '  top functions:',
          ...c.apiProfile.topFunctions.slice(0, 15).map((a) => `  ${a.name}: ${int(a.ms)} ms (${fmt(a.pctOfBusy)} %)`),
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
      'http-only': { type: 'boolean' },
      client: { type: 'string' },
      'client-http': { type: 'string' },
      'api-node-flags': { type: 'string' },
      'api-log': { type: 'string' },
      'cpu-prof': { type: 'string' },
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
  if (v['http-only']) o.httpOnly = true;
  if (v.client !== undefined) {
    if (v.client === 'child' || v.client === 'in-process') o.client = v.client;
    else throw new Error('--client: child or in-process');
  }
  if (v['client-http'] !== undefined) {
    if (v['client-http'] === 'fetch' || v['client-http'] === 'node') o.clientHttp = v['client-http'];
    else throw new Error('--client-http: fetch or node');
  }
  if (v['api-node-flags'] !== undefined) o.apiNodeFlags = v['api-node-flags'].split(/\s+/).filter((f) => f !== '');
  if (v['api-log'] !== undefined) o.apiLog = v['api-log'];
  if (v['cpu-prof'] !== undefined) o.cpuProfileDir = v['cpu-prof'];
  if (v.out !== undefined) o.out = v.out;
  if (v.label !== undefined) o.label = v.label;
  return o;
}

/** Entry for tests/bench/run.ts (argv after the suite name): resolves with the exit code. */
export async function apiSuiteMain(argv: string[]): Promise<number> {
  // `npm run bench -- api -- --days 1` hands the second `--` on.
  const o = parseApiArgs(argv[0] === '--' ? argv.slice(1) : argv);
  if (o === 'help') {
    process.stdout.write(API_USAGE);
    return 0;
  }
  await runApiSuite(o);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await apiSuiteMain(process.argv.slice(2));
