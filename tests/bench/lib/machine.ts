import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { createRedis } from '@hazardwatch/queue';
import pg from 'pg';
import { machineCpuTicks } from './proc.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  mosquitto: string;
  redis: string;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return (
      execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
        .toString()
        .split('\n')[0]
        ?.trim() ?? 'unknown'
    );
  } catch (err) {
    // `mosquitto -h` prints its version and exits non-zero.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    return out.split('\n')[0]?.trim() || 'unknown';
  }
}

/** What the figures were measured on: hardware, kernel and the versions and settings that matter. */
export async function machineInfo(adminUrl: string, redisUrl: string): Promise<MachineInfo> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  let postgres = 'unknown';
  const postgresSettings: Record<string, string> = {};
  try {
    postgres = (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? 'unknown';
    const s = await c.query<{ name: string; setting: string; unit: string | null }>(`SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)`, [
      ['shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'commit_delay', 'max_wal_size', 'wal_buffers', 'autovacuum', 'full_page_writes'],
    ]);
    for (const r of s.rows) postgresSettings[r.name] = r.unit ? `${r.setting} × ${r.unit}` : r.setting;
  } finally {
    await c.end();
  }
  const r = createRedis(redisUrl);
  let redis = 'unknown';
  try {
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown';
  } finally {
    r.disconnect();
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    postgres,
    postgresSettings,
    mosquitto: firstLine('mosquitto', ['-h']),
    redis,
  };
}

/**
 * Wait until the machine is quiet: busy CPU below `maxCores` over `spanMs`, for at
 * most `timeoutMs`. Other work on a shared 2-core box would otherwise be measured
 * as ours. Returns the busy cores seen last (the caller records it).
 */
export async function waitForQuiet(opts: { maxCores: number; spanMs: number; timeoutMs: number }): Promise<{ busyCores: number; waitedMs: number }> {
  const started = Date.now();
  const ncpu = cpus().length;
  for (;;) {
    const a = machineCpuTicks();
    await new Promise((r) => setTimeout(r, opts.spanMs));
    const b = machineCpuTicks();
    const busyCores = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * ncpu;
    const waitedMs = Date.now() - started;
    if (busyCores <= opts.maxCores || waitedMs >= opts.timeoutMs) return { busyCores, waitedMs };
  }
}
