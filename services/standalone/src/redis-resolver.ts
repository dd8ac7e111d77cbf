import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { HazardError, type Logger, safeUrl } from '@hazardwatch/observability';
import { Redis } from 'ioredis';

export interface RedisHandle {
  url: string;
  /** True when hazardwatch started the server itself (and stops it on exit). */
  owned: boolean;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * Redis has no embedded form BullMQ accepts. Use REDIS_URL when it answers;
 * otherwise start `redis-server` as a child (data and AOF under the data dir)
 * when the binary is on the PATH; otherwise fail saying how to get one.
 */
export async function resolveRedis(o: { url: string; dataDir: string; log: Logger }): Promise<RedisHandle> {
  if (await answers(o.url)) return { url: o.url, owned: false, stop: async () => undefined };
  const which = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (which.error || which.status !== 0) {
    throw new HazardError(
      'HW_STANDALONE_NO_REDIS',
      `Redis does not answer at ${safeUrl(o.url)} and no redis-server is on the PATH.\n` +
        'Start one and set REDIS_URL, e.g.:\n' +
        '  apt-get install redis-server && redis-server --daemonize yes\n' +
        '  docker run -d -p 6379:6379 redis:7 --appendonly yes',
    );
  }
  const u = new URL(o.url);
  const port = Number(u.port || 6379);
  const dir = resolve(o.dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  o.log.info({ port, dir }, 'starting redis-server as a child process');
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!(await answers(o.url))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new HazardError('HW_STANDALONE_NO_REDIS', `redis-server did not come up on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: o.url,
    owned: true,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
