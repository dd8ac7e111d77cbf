/**
 * Bench-only API process of `npm run bench -- api`: the API (`buildApp`) as a server of its own,
 * so the HTTP client's work (reading 1.6 MB bodies, its garbage) is not in the measured process.
 * Two instances on 127.0.0.1 (ports reported over IPC): values from PostgreSQL, and values from
 * the Redis copy under QUEUE_PREFIX; the first also serves the floor (`/bench-floor/:view`, bodies
 * sent by the bench). Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX; BENCH_CPU_PROFILE: V8 profile
 * toggled by SIGUSR2 (lib/signal-profiler.ts).
 *
 * Per measured case the bench sends `start` and `end` (api-server-protocol.ts); the window it gets
 * back holds this process's GC pauses, CPU, event-loop delay, each request's server-side times
 * (and how long the main thread waited for a core meanwhile),
 * and the times of its PostgreSQL queries and Redis calls (the pool and the Redis connection are
 * wrapped here, outside the product code, only to time them). With `--trace-gc` among the node
 * flags, `[bench]` lines on stdout mark each window in process time (`performance.now()`), the
 * clock of V8's trace.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { buildApp } from '@hazardwatch/api';
import { createPool, type Pool } from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { createRedis, type Redis } from '@hazardwatch/queue';
import type { FromServer, Interval, ServedRequest, ServerWindow, ToServer } from './api-server-protocol.js';
import { epochMs, GcRecorder } from './lib/gc-pauses.js';
import { schedDeltaMs, threadSchedNs } from './lib/run-queue.js';
import { profileOnSignal } from './lib/signal-profiler.js';

await profileOnSignal(process.env.BENCH_CPU_PROFILE, { startNow: false });

const send = (m: FromServer) => process.send?.(m);
const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
};

/** What the current window records; null between windows. */
let rec: { requests: ServedRequest[]; pg: Interval[]; redis: Interval[] } | null = null;

/** Times each promise-returning pool.query (the callback form is not used by the API). */
function timePool(pool: Pool): void {
  const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
  (pool as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const atMs = epochMs();
    const r = query(...args);
    if (r instanceof Promise)
      r.then(
        () => rec?.pg.push({ atMs, ms: epochMs() - atMs }),
        () => undefined,
      );
    return r;
  };
}

/** Times Redis pipelines (exec) and single commands (sendCommand without a pipeline's stream). */
function timeRedis(redis: Redis): void {
  const pipeline = redis.pipeline.bind(redis);
  redis.pipeline = ((...args: Parameters<Redis['pipeline']>) => {
    const p = pipeline(...args);
    const exec = p.exec.bind(p);
    p.exec = (async (...a: Parameters<typeof exec>) => {
      const atMs = epochMs();
      try {
        return await exec(...a);
      } finally {
        rec?.redis.push({ atMs, ms: epochMs() - atMs });
      }
    }) as typeof p.exec;
    return p;
  }) as Redis['pipeline'];
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...a: Parameters<Redis['sendCommand']>) => {
    const atMs = epochMs();
    const r = sendCommand(...a);
    // A pipeline's commands come through here too, with its stream: timed as the pipeline.
    if (a[1] === undefined && r instanceof Promise)
      r.then(
        () => rec?.redis.push({ atMs, ms: epochMs() - atMs }),
        () => undefined,
      );
    return r;
  }) as Redis['sendCommand'];
}

/** Each request's times on this side: parsed, body handed over (`res.end`), last byte written ('finish'). */
function timeRequests(server: Server): void {
  // Before Fastify's own listener, so the request's clock starts first and `res.end` is wrapped in time.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const atMs = epochMs();
    const sched = threadSchedNs();
    let endAt = Number.NaN;
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    (res as unknown as { end: (...a: unknown[]) => ServerResponse }).end = (...a: unknown[]) => {
      endAt = epochMs();
      return end(...a);
    };
    res.once('finish', () => {
      const now = epochMs();
      const { onCpuMs, waitMs } = schedDeltaMs(sched, threadSchedNs());
      if (!rec) return;
      const externalMiB = Math.round((getHeapStatistics().external_memory / 1024 ** 2) * 10) / 10;
      rec.requests.push({
        url: req.url ?? '',
        atMs,
        handlerMs: (Number.isNaN(endAt) ? now : endAt) - atMs,
        ms: now - atMs,
        onCpuMs,
        runWaitMs: waitMs,
        externalMiB,
      });
    });
  });
}

const silent = createLogger({ level: 'silent' });
const pool = createPool(need('DATABASE_URL'), { max: 10, applicationName: 'hazardwatch-api-bench' });
timePool(pool);
const redis = createRedis(need('REDIS_URL'), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
await new Promise<void>((resolve, reject) => {
  redis.once('ready', () => resolve());
  redis.once('error', reject);
});
timeRedis(redis);
// Sequential benchmark requests from one key: lift the per-key limit on expensive queries (120/min by default).
const config = { port: 0, expensiveQueryLimit: { max: 1_000_000, windowMs: 60_000 } };
const app = await buildApp({ pool, log: silent, config });
const floor = { full: '', values: '' };
app.get('/bench-floor/:view', async (req, reply) =>
  reply.type('application/json; charset=utf-8').send((req.params as { view: string }).view === 'values' ? floor.values : floor.full),
);
const redisApp = await buildApp({ pool, log: silent, config, latestValues: { redis, prefix: need('QUEUE_PREFIX') } });
const portOf = (s: Server) => {
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
};
await app.listen({ host: '127.0.0.1', port: 0 });
await redisApp.listen({ host: '127.0.0.1', port: 0 });
timeRequests(app.server);
timeRequests(redisApp.server);

const gc = new GcRecorder();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let window: { id: number; atMs: number; cpu: NodeJS.CpuUsage; sched: ReturnType<typeof threadSchedNs>; heap: number } | null = null;
const mib = (b: number) => Math.round((b / 1024 ** 2) * 10) / 10;
const ms2 = (x: number) => Math.round(x * 100) / 100;

async function endWindow(id: number): Promise<ServerWindow> {
  const w = window;
  if (!w || w.id !== id) throw new Error(`window ${id} was not started`);
  const cpu = process.cpuUsage(w.cpu);
  const main = schedDeltaMs(w.sched, threadSchedNs());
  loopDelay.disable();
  const pauses = await gc.stop();
  const r = rec ?? { requests: [], pg: [], redis: [] };
  rec = null;
  window = null;
  process.stdout.write(`[bench] ${performance.now().toFixed(1)} ms: window ${id} end\n`);
  return {
    type: 'window',
    id,
    wallMs: ms2(epochMs() - w.atMs),
    requests: r.requests,
    gc: pauses,
    pg: r.pg,
    redis: r.redis,
    cpu: { userMs: ms2(cpu.user / 1000), systemMs: ms2(cpu.system / 1000) },
    mainThread: { onCpuMs: ms2(main.onCpuMs), runWaitMs: ms2(main.waitMs) },
    eventLoopDelay: { p50Ms: ms2(loopDelay.percentile(50) / 1e6), p99Ms: ms2(loopDelay.percentile(99) / 1e6), maxMs: ms2(loopDelay.max / 1e6) },
    heapUsedMiB: { start: w.heap, end: mib(process.memoryUsage().heapUsed) },
  };
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  gc.close();
  await Promise.allSettled([app.close(), redisApp.close()]);
  redis.disconnect();
  await pool.end().catch(() => undefined);
  process.exit(0);
}

process.on('message', (m: ToServer) => {
  const run = async (): Promise<void> => {
    if (m.type === 'floor') {
      floor.full = m.full;
      floor.values = m.values;
      send({ type: 'floor-set' });
    } else if (m.type === 'start') {
      process.stdout.write(`[bench] ${performance.now().toFixed(1)} ms: window ${m.id} start: ${m.name}\n`);
      rec = { requests: [], pg: [], redis: [] };
      gc.start();
      loopDelay.reset();
      loopDelay.enable();
      window = { id: m.id, atMs: epochMs(), cpu: process.cpuUsage(), sched: threadSchedNs(), heap: mib(process.memoryUsage().heapUsed) };
      send({ type: 'started', id: m.id });
    } else if (m.type === 'end') send(await endWindow(m.id));
    else await stop();
  };
  run().catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
// The bench gone (crashed, killed): nothing left to serve.
process.on('disconnect', () => void stop());

send({ type: 'ready', plainPort: portOf(app.server), redisPort: portOf(redisApp.server) });
