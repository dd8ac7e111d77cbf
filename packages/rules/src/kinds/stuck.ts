import type { StuckRule } from '@hazardwatch/contracts';
import type { StuckMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, NO_LEVELS, type Observation, orderLevels } from './kind-engine.js';
import { perPoint } from './per-point.js';

export function initStuckMemory(): StuckMemory {
  return { kind: 'stuck', bands: {}, quality: {} };
}

/** Bands depend on the tolerance, so a new version starts them afresh (detection restarts). */
export function carryStuckMemory(): StuckMemory {
  return initStuckMemory();
}

const cache = new WeakMap<StuckRule, KindOps<StuckMemory>>();

/**
 * Flatline: good readings that stay within a band of width `tolerance` for `durationMs`.
 * Judged on readings only (at the time of the reading that completes the duration): a point
 * that stops reporting is an interruption, not a flatline.
 */
export function stuckOps(rule: StuckRule): KindOps<StuckMemory> {
  return cachedOps(cache, rule, () => {
    const pp = perPoint(rule.pointIds);
    const active = [rule.level.name];
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    return {
      levels: orderLevels([rule.level]),
      onReading(mem, r, t) {
        if (!pp.subjects.has(r.pointId)) return;
        const key = String(r.pointId);
        mem.quality[key] = r.quality;
        if (r.quality !== 'good') return;
        const b = mem.bands[key];
        if (b && Math.max(b.hi, r.value) - Math.min(b.lo, r.value) <= rule.tolerance) {
          b.lo = Math.min(b.lo, r.value);
          b.hi = Math.max(b.hi, r.value);
          b.lastT = t;
        } else mem.bands[key] = { lo: r.value, hi: r.value, since: t, lastT: t };
      },
      onPosition() {},
      observe(mem): Observation[] {
        const out: Observation[] = [];
        for (const [id, subject] of pp.subjects) {
          const b = mem.bands[String(id)];
          const flat = b !== undefined && b.lastT - b.since >= rule.durationMs;
          out.push({
            subject,
            active: flat ? active : NO_LEVELS,
            hold: mem.quality[String(id)] !== 'good',
            value: b ? b.hi : null,
            pointIds: [id],
            vehicleId: null,
          });
        }
        return out;
      },
      nextChange: () => null,
      ownsSubject: (s) => pp.owned.has(s),
      delays: () => delays,
      describe(mem, subject) {
        const id = pp.pointOf(subject);
        const b = id === undefined ? undefined : mem.bands[String(id)];
        if (id === undefined || !b) return subject;
        return `point ${id}: within [${fmt(b.lo)}, ${fmt(b.hi)}] for ${Math.round((b.lastT - b.since) / 1000)} s (tolerance ${fmt(rule.tolerance)}, duration ${rule.durationMs / 1000} s)`;
      },
    };
  });
}
