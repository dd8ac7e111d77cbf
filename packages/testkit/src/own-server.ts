import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { waitForPort } from './ports.js';

/** A server process of the test's own, on its own port and data directory, that a fault test may kill and restart. */
export interface OwnServer {
  url: string;
  port: number;
  /** Stop gracefully (SIGTERM): the server saves what it persists. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: only what the server had already made durable survives. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop (`disposeSignal`) and delete the data directory. */
  dispose(): Promise<void>;
}

/** Spawn `command args`, wait for `port`, and hand back the controls every own-server test uses. */
export async function startOwnServer(o: {
  command: string;
  args: readonly string[];
  port: number;
  url: string;
  dir: string;
  disposeSignal: NodeJS.Signals;
}): Promise<OwnServer> {
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(o.command, [...o.args], { stdio: 'ignore' });
    await waitForPort(o.port);
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
    url: o.url,
    port: o.port,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: launch,
    async dispose() {
      await halt(o.disposeSignal);
      await rm(o.dir, { recursive: true, force: true });
    },
  };
}
