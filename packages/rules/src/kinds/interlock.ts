import type { InterlockRule, PointCondition } from '@hazardwatch/contracts';
import type { InterlockMemory, KindMemory, LastReading } from '../state.js';
import { COMPARISON_TEXT, cachedOps, compare, earliest, fmt, type KindOps, NO_LEVELS, type Observation, orderLevels, ruleSubject } from './kind-engine.js';

function involvedPoints(rule: InterlockRule): number[] {
  return [...new Set([...rule.triggers.map((t) => t.pointId), rule.action.pointId, ...(rule.bypass ? [rule.bypass.pointId] : [])])];
}

export function initInterlockMemory(start: number): InterlockMemory {
  return { kind: 'interlock', startedAt: start, last: {}, triggerSince: null };
}

/** Last readings are kept for points still involved, and so is the trip onset (re-checked at once). */
export function carryInterlockMemory(rule: InterlockRule, old: KindMemory, at: number): InterlockMemory {
  const mem = initInterlockMemory(at);
  if (old.kind !== 'interlock') return mem;
  mem.startedAt = old.startedAt;
  for (const id of involvedPoints(rule)) {
    const l = old.last[String(id)];
    if (l) mem.last[String(id)] = l;
  }
  mem.triggerSince = old.triggerSince;
  return mem;
}

const cache = new WeakMap<InterlockRule, KindOps<InterlockMemory>>();

/**
 * k-out-of-n trip voting with a required action and a bypass watch. Up to three alarms:
 * - `rule:<id>:action`: tripped and the action not achieved within `responseMs` of the trip;
 *   raised exactly at trip + responseMs, cleared once the action is achieved or the trip ends;
 * - `rule:<id>:bypass`: the bypass is active (or unknown) while the interlock is tripped;
 * - `rule:<id>:trip` (optional): the trip itself.
 * A faulty or stale input votes as `faultyInputVotes` says, and so does an input never seen
 * since the rule started (after `staleAfterMs` of grace when set, at once otherwise); an
 * unknown action counts as not achieved. Nothing unknown ever looks safe.
 */
export function interlockOps(rule: InterlockRule): KindOps<InterlockMemory> {
  return cachedOps(cache, rule, () => {
    const pointIds = involvedPoints(rule);
    const watched = new Set(pointIds);
    const action = ruleSubject(rule.id, 'action');
    const bypass = ruleSubject(rule.id, 'bypass');
    const trip = ruleSubject(rule.id, 'trip');
    const owned = new Set([action, ...(rule.bypass ? [bypass] : []), ...(rule.tripLevel ? [trip] : [])]);
    const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
    const actionActive = [rule.actionLevel.name];
    const bypassActive = [rule.bypassLevel.name];
    const tripActive = rule.tripLevel ? [rule.tripLevel.name] : NO_LEVELS;

    const fresh = (l: LastReading | undefined, t: number): l is LastReading =>
      l !== undefined && l.q === 'good' && (rule.staleAfterMs === null || t - l.t < rule.staleAfterMs);
    const graceOver = (mem: InterlockMemory, t: number) => rule.staleAfterMs === null || t - mem.startedAt >= rule.staleAfterMs;
    const inputState = (mem: InterlockMemory, cond: PointCondition, t: number): 'trip' | 'ok' | 'faulty' | 'unseen' => {
      const l = mem.last[String(cond.pointId)];
      if (l === undefined) return graceOver(mem, t) ? 'faulty' : 'unseen';
      if (!fresh(l, t)) return 'faulty';
      return compare(l.v, cond.cmp, cond.value) ? 'trip' : 'ok';
    };
    const votes = (mem: InterlockMemory, t: number) => {
      let tripped = 0;
      let faulty = 0;
      for (const cond of rule.triggers) {
        const s = inputState(mem, cond, t);
        if (s === 'trip') tripped++;
        else if (s === 'faulty') faulty++;
      }
      const counted = tripped + (rule.faultyInputVotes === 'trip' ? faulty : 0);
      return { tripped, faulty, counted, trip: counted >= rule.votesToTrip };
    };

    return {
      levels: orderLevels([rule.actionLevel, ...(rule.bypass ? [rule.bypassLevel] : []), ...(rule.tripLevel ? [rule.tripLevel] : [])]),
      onReading(mem, r, t) {
        if (watched.has(r.pointId)) mem.last[String(r.pointId)] = { t, v: r.value, q: r.quality };
      },
      onPosition() {},
      observe(mem, t): Observation[] {
        const v = votes(mem, t);
        if (!v.trip) mem.triggerSince = null;
        else if (mem.triggerSince === null) mem.triggerSince = t;
        const since = mem.triggerSince;
        const a = mem.last[String(rule.action.pointId)];
        const achieved = fresh(a, t) && compare(a.v, rule.action.cmp, rule.action.value);
        const failed = since !== null && t - since >= rule.responseMs && !achieved;
        const out: Observation[] = [
          { subject: action, active: failed ? actionActive : NO_LEVELS, hold: false, value: a ? a.v : null, pointIds, vehicleId: null },
        ];
        if (rule.bypass) {
          const b = mem.last[String(rule.bypass.pointId)];
          const bypassed = !fresh(b, t) || compare(b.v, rule.bypass.cmp, rule.bypass.value);
          out.push({
            subject: bypass,
            active: since !== null && bypassed ? bypassActive : NO_LEVELS,
            hold: false,
            value: b ? b.v : null,
            pointIds,
            vehicleId: null,
          });
        }
        if (rule.tripLevel)
          out.push({ subject: trip, active: since !== null ? tripActive : NO_LEVELS, hold: false, value: v.counted, pointIds, vehicleId: null });
        return out;
      },
      nextChange(mem, t) {
        let next: number | null = null;
        if (mem.triggerSince !== null && mem.triggerSince + rule.responseMs > t) next = mem.triggerSince + rule.responseMs;
        if (rule.staleAfterMs !== null) {
          if (mem.startedAt + rule.staleAfterMs > t) next = earliest(next, mem.startedAt + rule.staleAfterMs);
          for (const id of pointIds) {
            const l = mem.last[String(id)];
            if (l && l.q === 'good' && l.t + rule.staleAfterMs > t) next = earliest(next, l.t + rule.staleAfterMs);
          }
        }
        return next;
      },
      ownsSubject: (s) => owned.has(s),
      delays: () => delays,
      describe(mem, subject, t) {
        const v = votes(mem, t);
        const head = `${v.counted}/${rule.triggers.length} trip votes, ${rule.votesToTrip} needed (${v.tripped} tripped, ${v.faulty} faulty voting ${rule.faultyInputVotes})`;
        const show = (l: LastReading | undefined) => (l ? `${fmt(l.v)} (${l.q})` : 'unknown');
        if (subject === action)
          return `${head}; action point ${rule.action.pointId} ${COMPARISON_TEXT[rule.action.cmp]} ${fmt(rule.action.value)} expected within ${rule.responseMs / 1000} s, is ${show(mem.last[String(rule.action.pointId)])}`;
        if (subject === bypass && rule.bypass) return `${head}; bypass point ${rule.bypass.pointId} is ${show(mem.last[String(rule.bypass.pointId)])}`;
        return head;
      },
    };
  });
}
