import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OwnServer, startOwnServer } from './own-server.js';
import { freePort } from './ports.js';

const QUEUE_LIMITS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/mosquitto/queue-limits.conf');

/** A Mosquitto of the test's own (SIGTERM saves its persistence; dispose deletes it). */
export type TestBroker = OwnServer;

/**
 * A Mosquitto of the test's own on a free port, with the queue limits that
 * deploy/ ships (the machine's broker on 1883 keeps the stock config).
 */
export async function startMosquitto(opts: { port?: number; bin?: string } = {}): Promise<TestBroker> {
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'hw-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  if (process.getuid?.() === 0) {
    // Started as root, Mosquitto drops to the `mosquitto` user: that user must be able to write
    // its persistence file, or sessions and queued messages silently vanish on restart.
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'mosquitto']).toString().trim());
      await chown(dir, id('-u'), id('-g'));
    } catch {
      await chmod(dir, 0o777);
    }
  }
  const limits = await readFile(QUEUE_LIMITS, 'utf8');
  await writeFile(conf, `${limits}\npersistence_location ${dir}/\nlistener ${port} 127.0.0.1\nallow_anonymous true\nlog_dest none\n`);
  return startOwnServer({ command: opts.bin ?? 'mosquitto', args: ['-c', conf], port, url: `mqtt://127.0.0.1:${port}`, dir, disposeSignal: 'SIGTERM' });
}
