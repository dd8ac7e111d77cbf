import type { Sample } from '../state.js';

/**
 * Trailing-window helpers over time-ordered samples. The value held at the window's start
 * (the last sample at or before `t − windowMs`) belongs to the window: a slow sensor that
 * reported once before the window still tells where the value started from.
 */

/** Drops samples older than the one held at the window's start (in place). */
export function pruneToWindow(samples: Sample[], t: number, windowMs: number): void {
  const start = t - windowMs;
  let held = -1;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s && s[0] <= start) held = i;
    else break;
  }
  if (held > 0) samples.splice(0, held);
}

/** Rise (last − lowest) and fall (highest − last) over the retained samples. */
export function riseAndFall(samples: readonly Sample[]): { rise: number; fall: number; last: number } | null {
  const lastSample = samples.at(-1);
  if (!lastSample) return null;
  let lo = lastSample[1];
  let hi = lastSample[1];
  for (const s of samples) {
    if (s[1] < lo) lo = s[1];
    if (s[1] > hi) hi = s[1];
  }
  return { rise: lastSample[1] - lo, fall: hi - lastSample[1], last: lastSample[1] };
}

/** When the window's start passes the second sample (the first then leaves), or null. */
export function windowNextChange(samples: readonly Sample[], windowMs: number): number | null {
  const second = samples[1];
  return second ? second[0] + windowMs : null;
}

/** Sum of sample values with time in (t − windowMs, t]. */
export function sumInWindow(samples: readonly Sample[], t: number, windowMs: number): number {
  let sum = 0;
  for (const s of samples) if (s[0] > t - windowMs && s[0] <= t) sum += s[1];
  return sum;
}

/** When the oldest sample inside (t − windowMs, t] leaves that window, or null. */
export function sumNextChange(samples: readonly Sample[], t: number, windowMs: number): number | null {
  for (const s of samples) if (s[0] > t - windowMs) return s[0] + windowMs;
  return null;
}
