import { readFileSync } from 'node:fs';

/**
 * The calling thread's scheduler times (/proc/thread-self/schedstat, ns): on a CPU, and runnable
 * but waiting for one. Called on a process's main thread, the difference over a request tells
 * whether the request was slow because its thread did not get a core. Null where the kernel does
 * not keep them.
 */
export function threadSchedNs(): { onCpuNs: number; waitNs: number } | null {
  try {
    const [onCpu = 'x', wait = 'x'] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    const r = { onCpuNs: Number(onCpu), waitNs: Number(wait) };
    return Number.isFinite(r.onCpuNs) && Number.isFinite(r.waitNs) ? r : null;
  } catch {
    return null;
  }
}

/** Run-queue wait and on-CPU time, in ms, between two readings (NaN when either is missing). */
export function schedDeltaMs(a: ReturnType<typeof threadSchedNs>, b: ReturnType<typeof threadSchedNs>): { onCpuMs: number; waitMs: number } {
  if (!a || !b) return { onCpuMs: Number.NaN, waitMs: Number.NaN };
  return { onCpuMs: (b.onCpuNs - a.onCpuNs) / 1e6, waitMs: (b.waitNs - a.waitNs) / 1e6 };
}

/** Clock ticks the hypervisor took from this virtual machine (/proc/stat `steal`), and all ticks. */
export function stealTicks(): { steal: number; total: number } {
  const v = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { steal: v[7] ?? 0, total: v.slice(0, 8).reduce((s, x) => s + x, 0) };
}
