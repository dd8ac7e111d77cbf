/**
 * Where a measured HTTP case's slow requests lose their time: each request as the client timed
 * it, matched (by order: requests are sequential) with the API process's view of it, its GC
 * pauses, its PostgreSQL queries and Redis calls, the time either main thread waited for a core,
 * and the bench process's own GC pauses.
 */
import type { Interval, ServerWindow } from './api-server-protocol.js';
import { type GcPause, overlapMs } from './lib/gc-pauses.js';

/** One request of a case, everything in ms. */
export interface RequestBreakdown {
  clientMs: number;
  /** API process: request parsed → last byte written. */
  serverMs: number;
  /** API process: request parsed → body handed to `res.end`. */
  handlerMs: number;
  /** API process GC during the client's request. */
  apiGcMs: number;
  apiGcKinds: string;
  /** Bench (client) process GC during the request. */
  benchGcMs: number;
  /** Main threads runnable but without a core during the request: the API's (its span) and the client's. */
  apiRunWaitMs: number;
  benchRunWaitMs: number;
  /** The API process's V8 external memory when the request finished (MiB). */
  apiExternalMiB: number;
  /** Longest PostgreSQL query and Redis call of the request (they run side by side). */
  pgMaxMs: number;
  redisMaxMs: number;
}

export interface GroupStats {
  n: number;
  /** Means over the group. */
  clientMs: number;
  serverMs: number;
  handlerMs: number;
  /** client − server: the loopback, the client reading the body, the client's own stalls. */
  outsideServerMs: number;
  apiGcMs: number;
  /** Share of the group's requests with any API GC pause in them, and with a mark-compact (or a step of its incremental marking). */
  withApiGc: number;
  withApiMajorGc: number;
  benchGcMs: number;
  withBenchGc: number;
  apiRunWaitMs: number;
  benchRunWaitMs: number;
  pgMaxMs: number;
  redisMaxMs: number;
}

export interface TailAnalysis {
  /** The fastest of the slow requests (the slowest tenth, by rank: about the case's p90). */
  slowFromMs: number;
  slow: GroupStats;
  rest: GroupStats;
  /** The slowest requests (the p99 and beyond), slowest first. */
  slowest: RequestBreakdown[];
  /** Every request, in order (results JSON only). */
  requests: RequestBreakdown[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const maxIn = (xs: readonly Interval[], from: number, to: number) => xs.reduce((m, x) => (x.atMs >= from && x.atMs <= to ? Math.max(m, x.ms) : m), 0);

/** Null when the API process did not see exactly the client's requests (then they cannot be matched). */
export function analyseTail(
  client: ReadonlyArray<{ atMs: number; ms: number; runWaitMs: number }>,
  server: ServerWindow,
  benchGc: readonly GcPause[],
): TailAnalysis | null {
  if (client.length === 0 || server.requests.length !== client.length) return null;
  const rows: RequestBreakdown[] = client.map((c, i) => {
    const s = server.requests[i] ?? { atMs: c.atMs, ms: 0, handlerMs: 0, runWaitMs: Number.NaN, externalMiB: Number.NaN };
    const to = c.atMs + c.ms;
    const gcs = server.gc.filter((g) => g.atMs < to && g.atMs + g.ms > c.atMs);
    return {
      clientMs: r2(c.ms),
      serverMs: r2(s.ms),
      handlerMs: r2(s.handlerMs),
      apiGcMs: r2(overlapMs(gcs, c.atMs, to)),
      apiGcKinds: gcs.map((g) => `${g.kind} ${g.ms.toFixed(1)}`).join(', '),
      benchGcMs: r2(overlapMs(benchGc, c.atMs, to)),
      apiRunWaitMs: r2(s.runWaitMs),
      benchRunWaitMs: r2(c.runWaitMs),
      apiExternalMiB: s.externalMiB,
      pgMaxMs: r2(maxIn(server.pg, s.atMs, s.atMs + s.ms)),
      redisMaxMs: r2(maxIn(server.redis, s.atMs, s.atMs + s.ms)),
    };
  });
  const group = (xs: RequestBreakdown[]): GroupStats => {
    const mean = (f: (x: RequestBreakdown) => number) => r2(xs.reduce((s, x) => s + f(x), 0) / Math.max(1, xs.length));
    return {
      n: xs.length,
      clientMs: mean((x) => x.clientMs),
      serverMs: mean((x) => x.serverMs),
      handlerMs: mean((x) => x.handlerMs),
      outsideServerMs: mean((x) => x.clientMs - x.serverMs),
      apiGcMs: mean((x) => x.apiGcMs),
      withApiGc: mean((x) => (x.apiGcMs > 0 ? 1 : 0)),
      withApiMajorGc: mean((x) => (/major|incremental/.test(x.apiGcKinds) ? 1 : 0)),
      benchGcMs: mean((x) => x.benchGcMs),
      withBenchGc: mean((x) => (x.benchGcMs > 0 ? 1 : 0)),
      apiRunWaitMs: mean((x) => x.apiRunWaitMs),
      benchRunWaitMs: mean((x) => x.benchRunWaitMs),
      pgMaxMs: mean((x) => x.pgMaxMs),
      redisMaxMs: mean((x) => x.redisMaxMs),
    };
  };
  // By rank, not by threshold: ties at the p90 must not pull the whole case into "slow".
  const sorted = [...rows].sort((a, b) => b.clientMs - a.clientMs);
  const slow = sorted.slice(0, Math.ceil(rows.length / 10));
  return {
    slowFromMs: slow.at(-1)?.clientMs ?? Number.NaN,
    slow: group(slow),
    rest: group(sorted.slice(slow.length)),
    slowest: sorted.slice(0, Math.max(5, Math.ceil(rows.length / 100))),
    requests: rows,
  };
}
