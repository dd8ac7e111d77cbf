import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, rd, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

// Pressure (1) above 1.2 and temperature (2) at least 80, or the cooling pump (3) stopped, held 10 s.
const rule = (extra: Record<string, unknown> = {}) =>
  ruleOf({
    kind: 'composite',
    expression: {
      op: 'or',
      args: [
        {
          op: 'and',
          args: [
            { op: 'cond', pointId: 1, cmp: 'above', value: 1.2 },
            { op: 'cond', pointId: 2, cmp: 'at_least', value: 80 },
          ],
        },
        { op: 'not', arg: { op: 'cond', pointId: 3, cmp: 'equals', value: 1 } },
      ],
    },
    durationMs: 10 * S,
    level: { name: 'RUNAWAY', colour: 'red' },
    ...extra,
  });
const normal = (at: number) => [rd(1, at, 1), rd(2, at, 60), rd(3, at, 1)];

describe('composite', () => {
  test.each([
    { name: 'one half of the and: nothing', extra: [rd(1, S, 1.5)], now: 60, expected: [] },
    { name: 'both halves held 10 s: raised at the end of the hold', extra: [rd(1, S, 1.5), rd(2, 2 * S, 85)], now: 60, expected: ['raise:RUNAWAY@12'] },
    { name: 'not held long enough: nothing', extra: [rd(1, S, 1.5), rd(2, 2 * S, 85), rd(2, 11 * S, 70)], now: 60, expected: [] },
    { name: 'the or branch alone (pump stopped)', extra: [rd(3, 5 * S, 0)], now: 60, expected: ['raise:RUNAWAY@15'] },
  ])('$name', ({ extra, now, expected }) => {
    expect(brief(evaluateRule(rule(), undefined, { readings: [...normal(0), ...extra], positions: [] }, T0 + now * S).transitions)).toEqual(expected);
  });

  test('three-valued logic: false and unknown is false; true or unknown is true', () => {
    // Pressure faulty, temperature normal → the and is false whatever pressure is; pump stopped → true.
    const res = evaluateRule(rule(), undefined, { readings: [rd(1, 0, 0, 'fault'), rd(2, 0, 60), rd(3, 0, 0)], positions: [] }, T0 + 20 * S);
    expect(brief(res.transitions)).toEqual(['raise:RUNAWAY@10']);
  });

  test('an unknown result holds the alarm (default) or counts as configured', () => {
    const raised = runSteps(rule(), [{ readings: [...normal(0), rd(3, S, 0)], now: 20 * S }]);
    expect(brief(raised.transitions)).toEqual(['raise:RUNAWAY@11']);
    // The pump point turns faulty: unknown → the alarm holds.
    const held = runSteps(rule(), [{ readings: [rd(3, 21 * S, 1, 'fault')], now: 60 * S }], raised.state);
    expect(held.transitions).toEqual([]);
    const asFalse = runSteps(rule({ unknownAs: 'false' }), [{ readings: [...normal(0), rd(3, S, 0), rd(3, 21 * S, 1, 'fault')], now: 60 * S }]);
    expect(brief(asFalse.transitions)).toEqual(['raise:RUNAWAY@11', 'clear:-@21']);
  });

  test('a leaf on a never-seen point is unknown, so a fresh rule raises nothing', () => {
    expect(evaluateRule(rule({ unknownAs: 'hold' }), undefined, { readings: [rd(1, 0, 2)], positions: [] }, T0 + 60 * S).transitions).toEqual([]);
  });

  test('expressions deeper than 8 levels are refused', () => {
    let e: Record<string, unknown> = { op: 'cond', pointId: 1, cmp: 'above', value: 1 };
    for (let i = 0; i < 8; i++) e = { op: 'not', arg: e };
    expect(() => rule({ expression: e })).toThrow(/nests deeper than 8/);
  });
});
