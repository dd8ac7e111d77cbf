/**
 * Local time of day at a fixed UTC offset. Chinese provincial night bans are stated in Beijing
 * time (UTC+8, no daylight saving), so a fixed offset is exact there and needs no time zone data.
 */

export const DAY_MS = 86_400_000;

/** `HH:MM` → milliseconds after local midnight (`24:00` → one day). */
export function parseTimeOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

/** Milliseconds after local midnight at epoch time `t`. */
export function msOfDay(t: number, utcOffsetMinutes: number): number {
  return (((t + utcOffsetMinutes * 60_000) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** Whether a time of day lies in [from, to); `from > to` wraps midnight. */
export function inDailyWindow(ms: number, from: number, to: number): boolean {
  const f = from % DAY_MS;
  const e = to % DAY_MS;
  if (f < e) return ms >= f && ms < e;
  if (to === DAY_MS && from < DAY_MS) return ms >= f;
  return ms >= f || ms < e;
}

/** The first epoch time after `t` at which the local time of day is one of `boundaries`. */
export function nextDailyBoundary(t: number, utcOffsetMinutes: number, boundaries: readonly number[]): number | null {
  const now = msOfDay(t, utcOffsetMinutes);
  let best: number | null = null;
  for (const b of boundaries) {
    let delta = ((((b % DAY_MS) - now) % DAY_MS) + DAY_MS) % DAY_MS;
    if (delta === 0) delta = DAY_MS;
    if (best === null || delta < best) best = delta;
  }
  return best === null ? null : t + best;
}
