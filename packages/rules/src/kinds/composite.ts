import { type CompositeRule, type ConditionExpression, expressionPointIds } from '@hazardwatch/contracts';
import type { LastReadingsMemory } from '../state.js';
import { cachedOps, compare, earliest, type KindOps, NO_LEVELS, type Observation, orderLevels, ruleSubject } from './kind-engine.js';

export function initCompositeMemory(): LastReadingsMemory {
  return { kind: 'composite', last: {} };
}

/** Three-valued result: true, false or unknown (null). */
type Tri = boolean | null;

const cache = new WeakMap<CompositeRule, KindOps<LastReadingsMemory>>();

/**
 * A boolean expression over the points' last values, held for `durationMs`. A leaf on a
 * faulty, never-seen or stale point is unknown; `and`/`or`/`not` follow Kleene's logic (false
 * and unknown = false, true or unknown = true), and an unknown result is handled by `unknownAs`.
 */
export function compositeOps(rule: CompositeRule): KindOps<LastReadingsMemory> {
  return cachedOps(cache, rule, () => {
    const pointIds = expressionPointIds(rule.expression);
    const watched = new Set(pointIds);
    const subject = ruleSubject(rule.id);
    const delays = { onMs: rule.durationMs + rule.onDelayMs, offMs: rule.offDelayMs };
    const active = [rule.level.name];
    const evaluate = (mem: LastReadingsMemory, e: ConditionExpression, t: number): Tri => {
      switch (e.op) {
        case 'cond': {
          const l = mem.last[String(e.pointId)];
          if (!l || l.q !== 'good' || (rule.staleAfterMs !== null && t - l.t >= rule.staleAfterMs)) return null;
          return compare(l.v, e.cmp, e.value);
        }
        case 'not': {
          const a = evaluate(mem, e.arg, t);
          return a === null ? null : !a;
        }
        case 'and': {
          let unknown = false;
          for (const a of e.args) {
            const r = evaluate(mem, a, t);
            if (r === false) return false;
            if (r === null) unknown = true;
          }
          return unknown ? null : true;
        }
        case 'or': {
          let unknown = false;
          for (const a of e.args) {
            const r = evaluate(mem, a, t);
            if (r === true) return true;
            if (r === null) unknown = true;
          }
          return unknown ? null : false;
        }
      }
    };
    return {
      levels: orderLevels([rule.level]),
      onReading(mem, r, t) {
        if (watched.has(r.pointId)) mem.last[String(r.pointId)] = { t, v: r.value, q: r.quality };
      },
      onPosition() {},
      observe(mem, t): Observation[] {
        const r = evaluate(mem, rule.expression, t);
        const truth = r === null ? (rule.unknownAs === 'hold' ? null : rule.unknownAs === 'true') : r;
        return [{ subject, active: truth === true ? active : NO_LEVELS, hold: truth === null, value: null, pointIds, vehicleId: null }];
      },
      nextChange(mem, t) {
        if (rule.staleAfterMs === null) return null;
        let next: number | null = null;
        for (const id of pointIds) {
          const l = mem.last[String(id)];
          if (l && l.q === 'good' && l.t + rule.staleAfterMs > t) next = earliest(next, l.t + rule.staleAfterMs);
        }
        return next;
      },
      ownsSubject: (s) => s === subject,
      delays: () => delays,
      describe(mem, _s, t) {
        const r = evaluate(mem, rule.expression, t);
        const inputs = pointIds.map((id) => {
          const l = mem.last[String(id)];
          return `${id}=${l ? `${l.v}${l.q === 'good' ? '' : ` (${l.q})`}` : '?'}`;
        });
        return `expression is ${r === null ? 'unknown' : r} (inputs ${inputs.join(', ')}; held ${rule.durationMs / 1000} s)`;
      },
    };
  });
}
