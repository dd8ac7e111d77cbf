import type { RateOfChangeRule } from '@hazardwatch/contracts';
import type { KindMemory, RateMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, NO_LEVELS, type Observation, orderLevels, pointSubject, wasActive } from './kind-engine.js';
import { pruneToWindow, riseAndFall, windowNextChange } from './window.js';

export function initRateMemory(rule: RateOfChangeRule): RateMemory {
  return { kind: 'rate_of_change', pointId: rule.pointId, samples: [], quality: null };
}

export function carryRateMemory(rule: RateOfChangeRule, old: KindMemory): RateMemory {
  return old.kind === 'rate_of_change' && old.pointId === rule.pointId ? old : initRateMemory(rule);
}

const cache = new WeakMap<RateOfChangeRule, KindOps<RateMemory>>();

/**
 * Change within a trailing window: rise = last value − lowest value in the window, fall =
 * highest − last. Taking the extreme rather than the window's first value catches a step
 * that has already levelled off. Only good readings enter the window.
 */
export function rateOfChangeOps(rule: RateOfChangeRule): KindOps<RateMemory> {
  return cachedOps(cache, rule, () => {
    const subject = pointSubject(rule.pointId);
    const pointIds = [rule.pointId];
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    return {
      levels: orderLevels(rule.levels),
      onReading(mem, r, t) {
        if (r.pointId !== rule.pointId) return;
        mem.quality = r.quality;
        if (r.quality === 'good') mem.samples.push([t, r.value]);
      },
      onPosition() {},
      observe(mem, t, subjects): Observation[] {
        pruneToWindow(mem.samples, t, rule.windowMs);
        const rf = riseAndFall(mem.samples);
        if (rf === null) return [{ subject, active: NO_LEVELS, hold: true, value: null, pointIds, vehicleId: null }];
        const active: string[] = [];
        for (const l of rule.levels) {
          const change = l.direction === 'rise' ? rf.rise : rf.fall;
          if (change >= (wasActive(subjects, subject, l.name) ? l.delta - rule.deadband : l.delta)) active.push(l.name);
        }
        return [{ subject, active, hold: mem.quality !== 'good', value: rf.last, pointIds, vehicleId: null }];
      },
      nextChange: (mem) => windowNextChange(mem.samples, rule.windowMs),
      ownsSubject: (s) => s === subject,
      delays: () => delays,
      describe(mem) {
        const rf = riseAndFall(mem.samples);
        if (rf === null) return `point ${rule.pointId}: no good reading in the window`;
        return `point ${rule.pointId} = ${fmt(rf.last)}: rise ${fmt(rf.rise)}, fall ${fmt(rf.fall)} within ${rule.windowMs / 1000} s`;
      },
    };
  });
}
