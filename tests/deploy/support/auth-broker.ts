import { type ChildProcess, spawn } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '@hazardwatch/testkit';
import { REPO_ROOT } from './paths.js';

export interface AuthBroker {
  /** The device listener (use_username_as_clientid), as deploy/mosquitto/mosquitto.conf's 1883. */
  deviceUrl: string;
  /** The services' listener, as the config's 1884. */
  serviceUrl: string;
  /** Where broker-auth writes `passwd` and `dynamic-security.json` for this broker. */
  authDir: string;
  pidFile: string;
  /** What the broker printed (for failure messages). */
  log(): string;
  dispose(): Promise<void>;
}

/** The dynamic security plugin on this machine (Debian's path), or where HW_MOSQUITTO_DYNSEC_PLUGIN says. */
async function findDynsecPlugin(): Promise<string> {
  const candidates = [
    process.env.HW_MOSQUITTO_DYNSEC_PLUGIN,
    '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/lib/mosquitto_dynamic_security.so',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      await access(c);
      return c;
    } catch {}
  }
  throw new Error('mosquitto_dynamic_security.so not found: install mosquitto 2.x or set HW_MOSQUITTO_DYNSEC_PLUGIN');
}

/**
 * Real Mosquitto running deploy/mosquitto/mosquitto.conf itself, with only the
 * container paths (the plugin's included) and the two listener ports rewritten for
 * this machine, so the shipped configuration is what the test exercises. `prepare`
 * writes the auth files before the broker starts (it refuses to start without them).
 */
export async function startAuthBroker(
  prepare: (authDir: string) => Promise<void>,
  opts: { /** Rewrite the shipped configuration first (to run a variant of it). */ editConfig?: (shipped: string) => string } = {},
): Promise<AuthBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'hw-authbroker-'));
  const authDir = join(dir, 'auth');
  const confD = join(dir, 'conf.d');
  const dataDir = join(dir, 'data');
  await Promise.all([mkdir(authDir), mkdir(confD), mkdir(dataDir)]);
  await copyFile(join(REPO_ROOT, 'deploy/mosquitto/queue-limits.conf'), join(confD, 'queue-limits.conf'));
  await prepare(authDir);
  const [devicePort, servicePort] = [await freePort(), await freePort()];
  const shipped = (opts.editConfig ?? ((c: string) => c))(await readFile(join(REPO_ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8'));
  const plugin = await findDynsecPlugin();
  const conf = shipped
    .replace(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m, `plugin ${plugin}`)
    .replaceAll('/mosquitto/auth/', `${authDir}/`)
    .replaceAll('/mosquitto/config/conf.d', confD)
    .replaceAll('/mosquitto/data/', `${dataDir}/`)
    .replace(/^listener 1883$/m, `listener ${devicePort} 127.0.0.1`)
    .replace(/^listener 1884$/m, `listener ${servicePort} 127.0.0.1`);
  if (/^[^#\n]*\/mosquitto\//m.test(conf) || (/^plugin /m.test(shipped) && !conf.includes(`plugin ${plugin}\n`)))
    throw new Error('a container path in mosquitto.conf was not rewritten');
  const confPath = join(dir, 'mosquitto.conf');
  // Running as root, mosquitto drops to its own user and then could not read files this process wrote with
  // mode 600, nor save the plugin's file in a directory root owns.
  await writeFile(confPath, `${conf}\n${process.getuid?.() === 0 ? 'user root\n' : ''}`);
  let output = '';
  const proc: ChildProcess = spawn('mosquitto', ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  proc.stderr?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      Promise.all([waitForPort(devicePort), waitForPort(servicePort)]),
      exited.then(() => {
        throw new Error(`mosquitto exited at start:\n${output}`);
      }),
    ]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return {
    deviceUrl: `mqtt://127.0.0.1:${devicePort}`,
    serviceUrl: `mqtt://127.0.0.1:${servicePort}`,
    authDir,
    pidFile: join(dataDir, 'mosquitto.pid'),
    log: () => output,
    async dispose() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
