/**
 * Messages between the api bench (tests/bench/api.ts, the HTTP client) and its API process
 * (tests/bench/api-server-main.ts), over the child's IPC channel. Times are ms since the epoch
 * (performance.timeOrigin + performance.now()), comparable between the two processes.
 */
import type { GcPause } from './lib/gc-pauses.js';

/** Something that took time: when it started (ms since the epoch) and for how long. */
export interface Interval {
  atMs: number;
  ms: number;
}

/** One request as the API process saw it: the 'request' event, the handler's `res.end`, the response's 'finish'. */
export interface ServedRequest {
  url: string;
  atMs: number;
  /** Request parsed → body handed to `res.end` (authentication, the route's work, serialisation). */
  handlerMs: number;
  /** Request parsed → last byte handed to the kernel ('finish'; a large body waits for the client to read). */
  ms: number;
  /** The main thread over the same span: on a CPU, and runnable but waiting for one (NaN where the kernel does not tell). */
  onCpuMs: number;
  runWaitMs: number;
  /** V8's external memory (ArrayBuffer backing stores and the like, which also drive its GC) when the request finished, MiB. */
  externalMiB: number;
}

/** What the API process did over one measured case. */
export interface ServerWindow {
  type: 'window';
  id: number;
  wallMs: number;
  requests: ServedRequest[];
  gc: GcPause[];
  /** pool.query calls (start to result). */
  pg: Interval[];
  /** Redis pipelines (start to exec's result) and single commands. */
  redis: Interval[];
  /** process.cpuUsage over the window (every thread). */
  cpu: { userMs: number; systemMs: number };
  /** The main thread over the window: on a CPU, and runnable but waiting for one. */
  mainThread: { onCpuMs: number; runWaitMs: number };
  /** Event-loop delay (perf_hooks monitorEventLoopDelay, 10 ms resolution) over the window. */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  heapUsedMiB: { start: number; end: number };
}

export type ToServer =
  | { type: 'floor'; full: string; values: string }
  | { type: 'start'; id: number; name: string }
  | { type: 'end'; id: number }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; plainPort: number; redisPort: number }
  | { type: 'floor-set' }
  | { type: 'started'; id: number }
  | ServerWindow
  | { type: 'failed'; message: string };
