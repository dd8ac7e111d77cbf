/**
 * Small helpers shared by the rules and api bench suites (tests/bench/rules.ts, tests/bench/api.ts):
 * percentiles, CPU accounting from /proc, load average, results JSON and a plain table.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvSchema } from '@hazardwatch/config';

/** Ingest's own defaults (packages/config), so every suite measures what a deployment runs unless told otherwise. */
export const INGEST_DEFAULTS = (() => {
  const env = EnvSchema.parse({});
  return { connections: env.INGEST_CONNECTIONS, batchMaxRows: env.INGEST_BATCH_MAX_ROWS, batchMaxWaitMs: env.INGEST_BATCH_MAX_WAIT_MS };
})();

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Nearest-rank quantile of an ascending array (q in 0..1). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export interface LatencyStats {
  n: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    minMs: r(s[0] ?? Number.NaN),
    p50Ms: r(quantile(s, 0.5)),
    p90Ms: r(quantile(s, 0.9)),
    p99Ms: r(quantile(s, 0.99)),
    maxMs: r(s.at(-1) ?? Number.NaN),
    meanMs: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

/** user+system clock ticks of a process (all threads), or null when it is gone. */
export function processTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat, first line). */
export function machineTicks(): { busy: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = first.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU use over a window: per named process (cores) and the whole machine (busy cores). */
export class CpuWindow {
  private readonly start: { at: number; machine: { busy: number; total: number }; procs: Map<string, number | null> };
  constructor(private readonly pids: Record<string, number | undefined>) {
    this.start = { at: performance.now(), machine: machineTicks(), procs: new Map(Object.entries(pids).map(([k, p]) => [k, processTicks(p)])) };
  }
  /** Cores used since construction (100 ticks per second assumed, as on Linux). */
  end(): { seconds: number; machineBusyCores: number; cores: Record<string, number | null> } {
    const seconds = (performance.now() - this.start.at) / 1000;
    const m = machineTicks();
    const ncpu = cpus().length;
    const machineBusyCores = ((m.busy - this.start.machine.busy) / Math.max(1, m.total - this.start.machine.total)) * ncpu;
    const cores: Record<string, number | null> = {};
    for (const [k, pid] of Object.entries(this.pids)) {
      const a = this.start.procs.get(k);
      const b = processTicks(pid);
      cores[k] = a === null || a === undefined || b === null ? null : Math.round(((b - a) / 100 / seconds) * 100) / 100;
    }
    return { seconds: Math.round(seconds * 10) / 10, machineBusyCores: Math.round(machineBusyCores * 100) / 100, cores };
  }
}

export interface HostInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  loadavg: number[];
}

export function hostInfo(): HostInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export const load1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

/** Writes the results JSON under bench-results/ (or `out`); returns the path. */
export async function writeResults(suite: string, result: unknown, out?: string): Promise<string> {
  const file = out ? resolve(out) : join(ROOT, 'bench-results', `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** A plain-text table: header, rule, rows; numeric columns right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-\d.,/ ]*$/.test(r[i] ?? '')));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmt = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
export const int = (x: number): string => Math.round(x).toLocaleString('en-US');
