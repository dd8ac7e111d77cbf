/**
 * Telling a redelivered input from a late one.
 *
 * A rule's state is time-ordered, so an input (reading of a point, position of a vehicle) at or
 * before the newest one already evaluated for its point is never evaluated. Two different things
 * land there: a redelivery (a message ingest committed but could not acknowledge comes again, a
 * re-run job), and a genuinely late input (a device uploading out of order) that was never seen.
 * The worker remembers, per point / vehicle, the timestamps of the last {@link RECENT_PER_INPUT}
 * inputs it evaluated. Evaluated timestamps only ever grow, so every evaluated timestamp from the
 * oldest remembered one up is remembered, and:
 * - remembered (or twice in one job): `redelivered`, certainly;
 * - newer than the oldest remembered, not remembered: `late`, certainly (it was never evaluated);
 * - older than the oldest remembered: `late_or_redelivered`, cannot be told apart.
 */

/** Timestamps remembered per point / vehicle (Redis: about 15 bytes each). */
export const RECENT_PER_INPUT = 32;

export type InputVerdict = 'fresh' | 'redelivered' | 'late' | 'late_or_redelivered';

/** Verdict on an input at `ts`, given the remembered timestamps of its point (ascending). */
export function classifyInput(recent: readonly number[], ts: number): InputVerdict {
  const newest = recent.at(-1);
  if (newest === undefined || ts > newest) return 'fresh';
  const oldest = recent[0] ?? newest;
  if (ts < oldest) return 'late_or_redelivered';
  return binarySearch(recent, ts) ? 'redelivered' : 'late';
}

function binarySearch(sorted: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] ?? Number.NaN;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The remembered timestamps after a job evaluated `taken` (all newer than `recent`): the newest {@link RECENT_PER_INPUT}, ascending. */
export function rememberInputs(recent: readonly number[], taken: readonly number[]): number[] {
  const all = [...recent, ...taken].sort((a, b) => a - b);
  return all.slice(Math.max(0, all.length - RECENT_PER_INPUT));
}

/** Encoding of the remembered timestamps in Redis; a single number (the layout before) reads as one. */
export function encodeRecent(ts: readonly number[]): string {
  return ts.join(',');
}

export function decodeRecent(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const n = Number(part);
    if (part !== '' && Number.isFinite(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/**
 * At most one log line per `intervalMs`, saying how many were held back since the last one:
 * a device replaying an hour of buffer must not flood the log.
 */
export class LogLimiter {
  private nextAt = Number.NEGATIVE_INFINITY;
  private held = 0;
  constructor(private readonly intervalMs: number) {}

  /** Whether to log `count` items now; if so, `suppressed` is how many were held back before. */
  take(now: number, count = 1): { log: boolean; suppressed: number } {
    if (now < this.nextAt) {
      this.held += count;
      return { log: false, suppressed: 0 };
    }
    const suppressed = this.held;
    this.held = 0;
    this.nextAt = now + this.intervalMs;
    return { log: true, suppressed };
  }
}
