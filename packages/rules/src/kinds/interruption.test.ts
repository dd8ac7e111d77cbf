import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, MIN, rd, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

const rule = ruleOf({ kind: 'interruption', pointIds: [1, 2], timeoutMs: 30 * S });

describe('interruption', () => {
  test('fires on a tick exactly at the deadline, and not a millisecond before', () => {
    const early = runSteps(rule, [{ readings: [rd(1, 0, 5), rd(2, 0, 5)], now: 0 }, { now: 30 * S - 1 }]);
    expect(early.transitions).toEqual([]);
    const onTime = runSteps(rule, [{ now: 30 * S }], early.state);
    expect(brief(onTime.transitions)).toEqual(['raise:INTERRUPTION@30', 'raise:INTERRUPTION@30']);
    expect(onTime.transitions.map((t) => t.subject)).toEqual(['point:1', 'point:2']);
    expect(onTime.transitions.map((t) => t.category)).toEqual(['fault', 'fault']);
  });

  test('a late tick reports the true deadline, per point', () => {
    const res = runSteps(rule, [{ readings: [rd(1, 0, 5), rd(2, 10 * S, 5)], now: 10 * S }, { now: 5 * MIN }]);
    expect(res.transitions.map((t) => [t.subject, (t.at - T0) / S])).toEqual([
      ['point:1', 30],
      ['point:2', 40],
    ]);
  });

  test('a point that never reports is silent from the rule start', () => {
    const res = runSteps(rule, [{ readings: [rd(1, 0, 5), rd(1, 20 * S, 5), rd(1, 40 * S, 5)], now: 40 * S }]);
    expect(res.transitions.map((t) => [t.subject, t.kind, (t.at - T0) / S])).toEqual([['point:2', 'raise', 30]]);
  });

  test('a reading clears it at the reading time; a fault reading counts as data', () => {
    const res = runSteps(rule, [
      { readings: [rd(1, 0, 5), rd(2, 0, 5)], now: 45 * S },
      { readings: [rd(1, 50 * S, 0, 'fault'), rd(2, 55 * S, 5)], now: 55 * S },
    ]);
    expect(res.transitions.map((t) => `${t.subject} ${t.kind}@${(t.at - T0) / S}`)).toEqual([
      'point:1 raise@30',
      'point:2 raise@30',
      'point:1 clear@50',
      'point:2 clear@55',
    ]);
  });

  test('a reading exactly at the deadline: the deadline fires first, then the reading clears it', () => {
    const res = evaluateRule(
      ruleOf({ kind: 'interruption', pointIds: [1], timeoutMs: 30 * S }),
      undefined,
      { readings: [rd(1, 0, 1), rd(1, 30 * S, 1)], positions: [] },
      T0 + 30 * S,
    );
    expect(brief(res.transitions)).toEqual(['raise:INTERRUPTION@30', 'clear:-@30']);
    expect(new Set(res.transitions.map((t) => t.id)).size).toBe(2);
  });

  test('nextDueAt tells the worker when the next deadline is', () => {
    const res = evaluateRule(rule, undefined, { readings: [rd(1, 0, 5), rd(2, 7 * S, 5)], positions: [] }, T0 + 10 * S);
    expect(res.nextDueAt).toBe(T0 + 30 * S);
  });
});
