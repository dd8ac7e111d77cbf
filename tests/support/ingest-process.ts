import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  readonly proc: ChildProcess;
  /** Output so far (for diagnosing a failed test). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Run a service's `main.ts` as its own process, the way production runs it. */
export function spawnService(mainTs: string, env: Record<string, string>): ServiceProcess {
  const proc = spawn(process.execPath, ['--conditions=hazardwatch-source', '--import', 'tsx', resolve(ROOT, mainTs)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return {
    proc,
    output: () => out,
    kill(signal = 'SIGTERM') {
      return new Promise((r) => {
        if (proc.exitCode !== null) return r(proc.exitCode);
        proc.once('exit', (code) => r(code));
        proc.kill(signal);
      });
    },
  };
}
