import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './ports.js';

const QUEUE_LIMITS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/mosquitto/queue-limits.conf');

export interface TestBroker {
  url: string;
  port: number;
  /** Stop gracefully (SIGTERM); persistence is saved. */
  stop(): Promise<void>;
  /** Start again on the same port with the same persistence directory. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Stop and delete the persistence directory. */
  dispose(): Promise<void>;
}

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
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(opts.bin ?? 'mosquitto', ['-c', conf], { stdio: 'ignore' });
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
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: launch,
    async dispose() {
      await halt('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
