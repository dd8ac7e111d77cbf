import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OwnServer, startOwnServer } from './own-server.js';
import { freePort } from './ports.js';

/**
 * A redis-server of the test's own on a free port, AOF on with fsync on every write, so a test
 * may kill it (SIGKILL keeps every acknowledged write) and restart it. The machine's Redis on
 * 6379 keeps nothing on disk: never restart that one.
 */
export async function startOwnRedis(): Promise<OwnServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'hw-redis-'));
  return startOwnServer({
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ],
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    disposeSignal: 'SIGKILL',
  });
}
