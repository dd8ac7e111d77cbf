/**
 * The api bench's side of its API process (api-server-main.ts): spawn it as production runs a
 * service (node, tsx, source conditions), wait for its ports, and drive its measured windows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FromServer, ServerWindow, ToServer } from './api-server-protocol.js';
import { stopChild } from './lib/proc.js';
import { ROOT } from './suites-support/common.js';

export interface ApiServerOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Extra node flags of the API process (`--trace-gc`, `--max-semi-space-size=64`). */
  nodeFlags?: string[];
  /** V8 CPU profile file, toggled by `toggleProfile` (SIGUSR2). */
  cpuProfile?: string;
  /** Where the process's stdout and stderr go (its `--trace-gc` lines); else only a tail is kept for errors. */
  logFile?: string;
}

export interface ApiServer {
  readonly pid: number;
  readonly plainBase: string;
  readonly redisBase: string;
  readonly floorBase: string;
  setFloor(full: string, values: string): Promise<void>;
  startWindow(id: number, name: string): Promise<void>;
  endWindow(id: number): Promise<ServerWindow>;
  /** Starts or stops the CPU profiler (the second toggle writes the profile). */
  toggleProfile(): void;
  stop(): Promise<void>;
}

export async function spawnApiServer(o: ApiServerOptions): Promise<ApiServer> {
  let log: WriteStream | undefined;
  if (o.logFile) {
    await mkdir(dirname(o.logFile), { recursive: true });
    log = createWriteStream(o.logFile);
  }
  const proc: ChildProcess = spawn(
    process.execPath,
    [...(o.nodeFlags ?? []), '--conditions=hazardwatch-source', '--import', 'tsx', join(ROOT, 'tests/bench/api-server-main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: o.databaseUrl,
        REDIS_URL: o.redisUrl,
        QUEUE_PREFIX: o.redisPrefix,
        ...(o.cpuProfile ? { BENCH_CPU_PROFILE: o.cpuProfile } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-20_000);
    log?.write(b);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const pending: Array<{ want: FromServer['type']; resolve: (m: FromServer) => void; reject: (e: Error) => void }> = [];
  const failAll = (e: Error) => {
    for (const p of pending.splice(0)) p.reject(e);
  };
  proc.on('message', (m: FromServer) => {
    if (m.type === 'failed') return failAll(new Error(`api process: ${m.message}`));
    const i = pending.findIndex((p) => p.want === m.type);
    if (i >= 0) pending.splice(i, 1)[0]?.resolve(m);
  });
  proc.on('exit', (code, signal) => failAll(new Error(`api process exited (${code ?? signal}):\n${tail}`)));
  proc.on('error', (err) => failAll(err));
  const next = <T extends FromServer['type']>(want: T, m?: ToServer): Promise<Extract<FromServer, { type: T }>> =>
    new Promise((resolve, reject) => {
      pending.push({ want, resolve: resolve as (m: FromServer) => void, reject });
      if (m) proc.send(m);
    });
  const ready = await next('ready');
  const at = (port: number) => `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    pid: proc.pid ?? 0,
    plainBase: `${at(ready.plainPort)}/api/v1`,
    redisBase: `${at(ready.redisPort)}/api/v1`,
    floorBase: `${at(ready.plainPort)}/bench-floor`,
    async setFloor(full, values) {
      await next('floor-set', { type: 'floor', full, values });
    },
    async startWindow(id, name) {
      const m = await next('started', { type: 'start', id, name });
      if (m.id !== id) throw new Error(`api process started window ${m.id}, not ${id}`);
    },
    async endWindow(id) {
      const m = await next('window', { type: 'end', id });
      if (m.id !== id) throw new Error(`api process ended window ${m.id}, not ${id}`);
      return m;
    },
    toggleProfile() {
      proc.kill('SIGUSR2');
    },
    stop() {
      stopped ??= stopChild(proc, { type: 'stop' } satisfies ToServer).then(() => {
        log?.end();
      });
      return stopped;
    },
  };
}
