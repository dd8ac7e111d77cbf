import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

let fd: number | null | undefined;
const text = Buffer.alloc(128);

/**
 * The calling thread's scheduler times (/proc/thread-self/schedstat, ns): on a CPU, and runnable
 * but waiting for one. Called on a process's main thread, the difference over a request tells
 * whether the request was slow because its thread did not get a core. Null where the kernel does
 * not keep them. The file stays open (one pread per call: opening it each time cost ~0.15 ms,
 * visible in a 7 ms request); it is the thread of the first call, so call it from one thread only.
 */
export function threadSchedNs(): { onCpuNs: number; waitNs: number } | null {
  try {
    if (fd === undefined) fd = openSync('/proc/thread-self/schedstat', 'r');
    if (fd === null) return null;
    const n = readSync(fd, text, 0, text.length, 0);
    const [onCpu = 'x', wait = 'x'] = text.toString('latin1', 0, n).split(' ');
    const r = { onCpuNs: Number(onCpu), waitNs: Number(wait) };
    return Number.isFinite(r.onCpuNs) && Number.isFinite(r.waitNs) ? r : null;
  } catch {
    if (typeof fd === 'number') closeSync(fd);
    fd = null;
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
