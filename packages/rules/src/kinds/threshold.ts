import type { ThresholdRule } from '@hazardwatch/contracts';
import type { KindMemory, ThresholdMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, NO_LEVELS, type Observation, orderLevels, pointSubject, wasActive } from './kind-engine.js';

export function initThresholdMemory(rule: ThresholdRule): ThresholdMemory {
  return { kind: 'threshold', pointId: rule.pointId, good: null, quality: null };
}

/** The last value is a fact about the point: kept across versions while the point is the same. */
export function carryThresholdMemory(rule: ThresholdRule, old: KindMemory): ThresholdMemory {
  return old.kind === 'threshold' && old.pointId === rule.pointId ? old : initThresholdMemory(rule);
}

const cache = new WeakMap<ThresholdRule, KindOps<ThresholdMemory>>();

/**
 * High level: active at value ≥ setpoint, clears below setpoint − deadband (low side mirrored),
 * so noise narrower than the deadband cannot make it chatter. The condition is judged on the
 * last good value; while the latest reading is faulty or in maintenance the alarm is held.
 */
export function thresholdOps(rule: ThresholdRule): KindOps<ThresholdMemory> {
  return cachedOps(cache, rule, () => {
    const subject = pointSubject(rule.pointId);
    const pointIds = [rule.pointId];
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    const limits = rule.levels.map((l) => `${l.name} ${l.side === 'high' ? '≥' : '≤'} ${fmt(l.setpoint)}`).join(', ');
    return {
      levels: orderLevels(rule.levels),
      onReading(mem, r, t) {
        if (r.pointId !== rule.pointId) return;
        mem.quality = r.quality;
        if (r.quality === 'good') mem.good = { t, v: r.value, q: 'good' };
      },
      onPosition() {},
      observe(mem, _t, subjects): Observation[] {
        const g = mem.good;
        if (g === null) return [{ subject, active: NO_LEVELS, hold: true, value: null, pointIds, vehicleId: null }];
        const active: string[] = [];
        const d = rule.deadband;
        for (const l of rule.levels) {
          const was = wasActive(subjects, subject, l.name);
          const on = l.side === 'high' ? g.v >= (was ? l.setpoint - d : l.setpoint) : g.v <= (was ? l.setpoint + d : l.setpoint);
          if (on) active.push(l.name);
        }
        return [{ subject, active, hold: mem.quality !== 'good', value: g.v, pointIds, vehicleId: null }];
      },
      nextChange: () => null,
      ownsSubject: (s) => s === subject,
      delays: () => delays,
      describe(mem) {
        const g = mem.good;
        if (g === null) return `point ${rule.pointId}: no good reading yet (${limits})`;
        const tail = mem.quality === 'good' ? '' : `; latest reading ${mem.quality}, alarm held`;
        return `point ${rule.pointId} = ${fmt(g.v)} (${limits}; deadband ${fmt(rule.deadband)})${tail}`;
      },
    };
  });
}
