import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '@hazardwatch/testkit';

export interface OwnRedis {
  url: string;
  port: number;
  /** SIGKILL, as a crash: only what the AOF holds survives (with `appendfsync always`, every acknowledged write). */
  kill(): Promise<void>;
  /** SHUTDOWN by SIGTERM (AOF flushed). */
  stop(): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, AOF on with fsync on every write, so a test
 * may kill and restart it. The machine's Redis on 6379 keeps nothing on disk: never restart it.
 */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'hw-redis-'));
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir, '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill(signal);
    });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    restart: launch,
    async dispose() {
      await halt('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
