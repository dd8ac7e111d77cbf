import type { InterruptionRule } from '@hazardwatch/contracts';
import type { InterruptionMemory, KindMemory } from '../state.js';
import { cachedOps, type KindOps, NO_LEVELS, type Observation, orderLevels } from './kind-engine.js';
import { perPoint } from './per-point.js';

/** Silence is counted from the rule's first evaluation for a point that never reported. */
export function initInterruptionMemory(rule: InterruptionRule, start: number): InterruptionMemory {
  return { kind: 'interruption', lastSeen: Object.fromEntries(rule.pointIds.map((id) => [String(id), start])) };
}

/** Last-seen times are facts: kept for points still listed; new points count from `at`. */
export function carryInterruptionMemory(rule: InterruptionRule, old: KindMemory, at: number): InterruptionMemory {
  const mem = initInterruptionMemory(rule, at);
  if (old.kind === 'interruption')
    for (const id of rule.pointIds) {
      const seen = old.lastSeen[String(id)];
      if (seen !== undefined) mem.lastSeen[String(id)] = seen;
    }
  return mem;
}

const cache = new WeakMap<InterruptionRule, KindOps<InterruptionMemory>>();

/**
 * No reading of a point (of any quality: a fault report still proves the link works) for
 * `timeoutMs`. Driven by time: the alarm is raised exactly at last-seen + timeout.
 */
export function interruptionOps(rule: InterruptionRule): KindOps<InterruptionMemory> {
  return cachedOps(cache, rule, () => {
    const pp = perPoint(rule.pointIds);
    const active = [rule.level.name];
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    const seen = (mem: InterruptionMemory, id: number, t: number) => mem.lastSeen[String(id)] ?? t;
    return {
      levels: orderLevels([rule.level]),
      onReading(mem, r, t) {
        if (pp.subjects.has(r.pointId)) mem.lastSeen[String(r.pointId)] = t;
      },
      onPosition() {},
      observe(mem, t): Observation[] {
        const out: Observation[] = [];
        for (const [id, subject] of pp.subjects)
          out.push({ subject, active: t - seen(mem, id, t) >= rule.timeoutMs ? active : NO_LEVELS, hold: false, value: null, pointIds: [id], vehicleId: null });
        return out;
      },
      nextChange(mem, t) {
        let next: number | null = null;
        for (const id of rule.pointIds) {
          const due = seen(mem, id, t) + rule.timeoutMs;
          if (due > t && (next === null || due < next)) next = due;
        }
        return next;
      },
      ownsSubject: (s) => pp.owned.has(s),
      delays: () => delays,
      describe(mem, subject, t) {
        const id = pp.pointOf(subject);
        if (id === undefined) return subject;
        return `point ${id}: last reading ${Math.round((t - seen(mem, id, t)) / 1000)} s ago (timeout ${rule.timeoutMs / 1000} s)`;
      },
    };
  });
}
