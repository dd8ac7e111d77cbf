/**
 * Messages between the api bench (tests/bench/api.ts) and its HTTP client process
 * (tests/bench/api-client-main.ts), over the child's IPC channel. Times are ms since the epoch,
 * comparable with the API process's (api-server-protocol.ts).
 */
import type { GcPause } from './lib/gc-pauses.js';

/** One batch of sequential GETs of one URL. */
export interface ClientRun {
  type: 'run';
  id: number;
  url: string;
  headers: Record<string, string>;
  count: number;
  /** Parse the last body (after the timed loop) and report its `items.length`. */
  countItems: boolean;
  /**
   * fetch (undici: web streams, the body copied into one ArrayBuffer), or node:http (a keep-alive
   * Agent, the body's chunks read and dropped: less garbage for the client's own GC).
   */
  http: 'fetch' | 'node';
}

/** One request as the client timed it: sent → body read completely; its main thread's run-queue wait meanwhile. */
export interface ClientRequest {
  atMs: number;
  ms: number;
  runWaitMs: number;
}

/** What the client process did over one run. */
export interface ClientWindow {
  type: 'done';
  id: number;
  wallMs: number;
  requests: ClientRequest[];
  /** Body bytes of the last response; its `items.length` when asked. */
  bytes: number;
  items: number | null;
  gc: GcPause[];
  /** process.cpuUsage over the run (every thread). */
  cpu: { userMs: number; systemMs: number };
  mainThread: { onCpuMs: number; runWaitMs: number };
}

export type ToClient = ClientRun | { type: 'stop' };

export type FromClient = { type: 'ready' } | ClientWindow | { type: 'failed'; message: string };
