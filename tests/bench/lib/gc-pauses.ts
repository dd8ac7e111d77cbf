import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

/** One garbage collection of this process: when it started (ms since the epoch), how long the thread stood, what kind. */
export interface GcPause {
  atMs: number;
  ms: number;
  kind: GcKind;
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'other';

export interface GcStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface GcSummary extends GcStats {
  byKind: Partial<Record<GcKind, GcStats>>;
}

const KINDS: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Wall-clock ms since the epoch, sub-millisecond: comparable between processes of one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/**
 * The GC pauses of this process while recording (perf_hooks 'gc' entries: V8 reports each
 * collection after it ran). Entries come asynchronously, so `stop` waits one macrotask for the
 * last ones of the window.
 */
export class GcRecorder {
  private pauses: GcPause[] | null = null;
  private readonly observer = new PerformanceObserver((list) => {
    if (!this.pauses) return;
    for (const e of list.getEntries()) this.pauses.push(toPause(e));
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  start(): void {
    this.pauses = [];
  }

  async stop(): Promise<GcPause[]> {
    await new Promise((r) => setImmediate(r));
    const out = this.pauses ?? [];
    this.pauses = null;
    return out;
  }

  close(): void {
    this.observer.disconnect();
  }
}

function toPause(e: PerformanceEntry): GcPause {
  // Node 20 puts the kind in `detail` (the typings do not declare it for 'gc' entries).
  const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return { atMs: performance.timeOrigin + e.startTime, ms: e.duration, kind: (kind !== undefined ? KINDS[kind] : undefined) ?? 'other' };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function summariseGc(pauses: readonly GcPause[]): GcSummary {
  const stats = (ps: readonly GcPause[]): GcStats => ({
    count: ps.length,
    totalMs: round2(ps.reduce((s, p) => s + p.ms, 0)),
    maxMs: round2(ps.reduce((m, p) => Math.max(m, p.ms), 0)),
  });
  const byKind: Partial<Record<GcKind, GcStats>> = {};
  for (const kind of new Set(pauses.map((p) => p.kind))) byKind[kind] = stats(pauses.filter((p) => p.kind === kind));
  return { ...stats(pauses), byKind };
}

/** How much of [fromMs, toMs] the given intervals cover (they do not overlap one another: one thread). */
export function overlapMs(intervals: ReadonlyArray<{ atMs: number; ms: number }>, fromMs: number, toMs: number): number {
  let sum = 0;
  for (const i of intervals) sum += Math.max(0, Math.min(toMs, i.atMs + i.ms) - Math.max(fromMs, i.atMs));
  return sum;
}
