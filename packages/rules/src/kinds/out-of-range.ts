import type { OutOfRangeRule } from '@hazardwatch/contracts';
import type { KindMemory, LastReadingsMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, NO_LEVELS, type Observation, orderLevels } from './kind-engine.js';
import { perPoint } from './per-point.js';

export function initOutOfRangeMemory(): LastReadingsMemory {
  return { kind: 'out_of_range', last: {} };
}

/** Last readings of points still listed are kept. */
export function carryLastReadings(kind: LastReadingsMemory['kind'], pointIds: readonly number[], old: KindMemory): LastReadingsMemory {
  const mem: LastReadingsMemory = { kind, last: {} };
  if ('last' in old)
    for (const id of pointIds) {
      const l = old.last[String(id)];
      if (l) mem.last[String(id)] = l;
    }
  return mem;
}

const cache = new WeakMap<OutOfRangeRule, KindOps<LastReadingsMemory>>();

/**
 * A good reading outside the instrument range (widened by `margin`) is a sensor fault. Faulty
 * or maintenance readings say nothing about the range: the alarm is held.
 */
export function outOfRangeOps(rule: OutOfRangeRule): KindOps<LastReadingsMemory> {
  return cachedOps(cache, rule, () => {
    const pp = perPoint(rule.points.map((p) => p.pointId));
    const active = [rule.level.name];
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    return {
      levels: orderLevels([rule.level]),
      onReading(mem, r, t) {
        if (pp.subjects.has(r.pointId)) mem.last[String(r.pointId)] = { t, v: r.value, q: r.quality };
      },
      onPosition() {},
      observe(mem): Observation[] {
        const out: Observation[] = [];
        for (const p of rule.points) {
          const l = mem.last[String(p.pointId)];
          const bad = l !== undefined && l.q === 'good' && (l.v < p.rangeMin - rule.margin || l.v > p.rangeMax + rule.margin);
          out.push({
            subject: pp.subjects.get(p.pointId) ?? '',
            active: bad ? active : NO_LEVELS,
            hold: l?.q !== 'good',
            value: l ? l.v : null,
            pointIds: [p.pointId],
            vehicleId: null,
          });
        }
        return out;
      },
      nextChange: () => null,
      ownsSubject: (s) => pp.owned.has(s),
      delays: () => delays,
      describe(mem, subject) {
        const p = rule.points.find((x) => x.pointId === pp.pointOf(subject));
        if (!p) return subject;
        const l = mem.last[String(p.pointId)];
        return `point ${p.pointId} = ${fmt(l ? l.v : null)} (${l?.q ?? 'no reading'}), instrument range [${fmt(p.rangeMin)}, ${fmt(p.rangeMax)}] ± ${fmt(rule.margin)}`;
      },
    };
  });
}
