import type { DeviceFaultRule } from '@hazardwatch/contracts';
import type { LastReadingsMemory } from '../state.js';
import { cachedOps, type KindOps, NO_LEVELS, type Observation, orderLevels } from './kind-engine.js';
import { perPoint } from './per-point.js';

export function initDeviceFaultMemory(): LastReadingsMemory {
  return { kind: 'device_fault', last: {} };
}

const cache = new WeakMap<DeviceFaultRule, KindOps<LastReadingsMemory>>();

/**
 * The device reports the channel's quality as `fault`: raised on a fault reading, cleared on a
 * good one. A reading in maintenance says neither: the alarm is held.
 */
export function deviceFaultOps(rule: DeviceFaultRule): KindOps<LastReadingsMemory> {
  return cachedOps(cache, rule, () => {
    const pp = perPoint(rule.pointIds);
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
        for (const [id, subject] of pp.subjects) {
          const l = mem.last[String(id)];
          out.push({
            subject,
            active: l?.q === 'fault' ? active : NO_LEVELS,
            hold: l === undefined || l.q === 'maintenance',
            value: l ? l.v : null,
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
        return id === undefined ? subject : `point ${id}: quality ${mem.last[String(id)]?.q ?? 'unknown'}`;
      },
    };
  });
}
