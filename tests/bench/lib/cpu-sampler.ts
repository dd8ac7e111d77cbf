import { CLOCK_TICKS_PER_S, machineCpuTicks, readProcStat } from './proc.js';

/** Which processes make up each named group right now (called on every sample). */
export type GroupPids = () => Promise<Map<string, number[]>> | Map<string, number[]>;

export interface CpuSnapshot {
  atMs: number;
  /** CPU seconds used by each group since the sampler started. */
  groupSeconds: Record<string, number>;
  machineBusySeconds: number;
  machineTotalSeconds: number;
}

/** CPU use of a group over an interval, in cores (1.0 = one core fully busy). */
export interface CpuUse {
  cores: Record<string, number>;
  machineCores: number;
  /** Busy cores not in any group: other work on the machine (interference). */
  otherCores: number;
  cpus: number;
}

/**
 * Accumulates CPU time per group of processes from /proc/<pid>/stat deltas.
 * Processes that come and go (database backends) are followed by pid: a pid's
 * ticks count from the first sample that sees it, or in full if it appeared
 * after the sampler started (it was born in the meantime).
 */
export class CpuSampler {
  private readonly lastTicks = new Map<number, number>();
  private readonly totals: Record<string, number> = {};
  private machine0 = machineCpuTicks();
  private started = false;

  constructor(private readonly groups: GroupPids) {}

  async sample(): Promise<CpuSnapshot> {
    const groups = await this.groups();
    const seen = new Set<number>();
    for (const [name, pids] of groups) {
      this.totals[name] ??= 0;
      for (const pid of pids) {
        if (seen.has(pid)) continue;
        seen.add(pid);
        const s = readProcStat(pid);
        if (!s) continue;
        const prev = this.lastTicks.get(pid);
        const delta = prev === undefined ? (this.started ? s.cpuTicks : 0) : s.cpuTicks - prev;
        this.lastTicks.set(pid, s.cpuTicks);
        this.totals[name] = (this.totals[name] ?? 0) + Math.max(0, delta);
      }
    }
    if (!this.started) this.machine0 = machineCpuTicks();
    this.started = true;
    const m = machineCpuTicks();
    const groupSeconds: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.totals)) groupSeconds[k] = v / CLOCK_TICKS_PER_S;
    return {
      atMs: Date.now(),
      groupSeconds,
      machineBusySeconds: (m.busy - this.machine0.busy) / CLOCK_TICKS_PER_S,
      machineTotalSeconds: (m.total - this.machine0.total) / CLOCK_TICKS_PER_S,
    };
  }
}

/** Average cores used per group between two snapshots. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, cpus: number): CpuUse {
  const wallS = (b.atMs - a.atMs) / 1000;
  const cores: Record<string, number> = {};
  let sum = 0;
  for (const [k, v] of Object.entries(b.groupSeconds)) {
    const c = (v - (a.groupSeconds[k] ?? 0)) / wallS;
    cores[k] = c;
    sum += c;
  }
  // /proc/stat counts every CPU: its total over the interval is cpus × wall time.
  const machineCores = ((b.machineBusySeconds - a.machineBusySeconds) / Math.max(1e-9, b.machineTotalSeconds - a.machineTotalSeconds)) * cpus;
  return { cores, machineCores, otherCores: Math.max(0, machineCores - sum), cpus };
}
