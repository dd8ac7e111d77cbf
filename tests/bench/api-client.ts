/**
 * The api bench's side of its HTTP client process (api-client-main.ts): spawn it (node, tsx,
 * source conditions, nothing else loaded) and hand it one batch of requests at a time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ClientRun, ClientWindow, FromClient, ToClient } from './api-client-protocol.js';
import { stopChild } from './lib/proc.js';
import { ROOT } from './suites-support/common.js';

export interface ApiClient {
  readonly pid: number;
  run(r: Omit<ClientRun, 'type' | 'id'>): Promise<ClientWindow>;
  stop(): Promise<void>;
}

export async function spawnApiClient(): Promise<ApiClient> {
  const proc: ChildProcess = spawn(process.execPath, ['--conditions=hazardwatch-source', '--import', 'tsx', join(ROOT, 'tests/bench/api-client-main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  // One message outstanding at a time: 'ready', then one 'done' per run.
  let pending: { resolve: (m: FromClient) => void; reject: (e: Error) => void } | null = null;
  const fail = (e: Error) => {
    pending?.reject(e);
    pending = null;
  };
  proc.on('message', (m: FromClient) => {
    const p = pending;
    pending = null;
    if (m.type === 'failed') p?.reject(new Error(`client process: ${m.message}`));
    else p?.resolve(m);
  });
  proc.on('exit', (code, signal) => fail(new Error(`client process exited (${code ?? signal}):\n${tail}`)));
  proc.on('error', (err) => fail(err));
  const next = (m?: ToClient): Promise<FromClient> =>
    new Promise((resolve, reject) => {
      if (pending) return reject(new Error('client process: a run is already under way'));
      pending = { resolve, reject };
      if (m) proc.send(m);
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`client process: expected ready, got ${ready.type}`);
  let id = 0;
  let stopped: Promise<void> | undefined;
  return {
    pid: proc.pid ?? 0,
    async run(r) {
      const want = ++id;
      const m = await next({ type: 'run', id: want, ...r });
      if (m.type !== 'done' || m.id !== want) throw new Error(`client process answered ${m.type} ${'id' in m ? m.id : ''}, not run ${want}`);
      return m;
    },
    stop() {
      stopped ??= stopChild(proc, { type: 'stop' } satisfies ToClient);
      return stopped;
    },
  };
}
