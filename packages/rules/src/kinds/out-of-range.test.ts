import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, rd, ruleOf, S, T0 } from '../test-fixtures.js';

const rule = ruleOf({ kind: 'out_of_range', points: [{ pointId: 1, rangeMin: 0, rangeMax: 100 }], margin: 1 });

describe('out_of_range', () => {
  test.each([
    { name: 'inside the range', values: [0, 50, 100, 101], expected: [] },
    { name: 'above range + margin', values: [50, 101.5, 50], expected: ['raise:OUT_OF_RANGE@1', 'clear:-@2'] },
    { name: 'below range − margin', values: [50, -2], expected: ['raise:OUT_OF_RANGE@1'] },
  ])('$name', ({ values, expected }) => {
    const readings = values.map((v, i) => rd(1, i * S, v));
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 10 * S);
    expect(brief(res.transitions)).toEqual(expected);
    for (const t of res.transitions) expect(t.category).toBe('fault');
  });

  test('a faulty reading neither raises (its value means nothing) nor clears', () => {
    const res = evaluateRule(rule, undefined, { readings: [rd(1, 0, 500, 'fault'), rd(1, S, 200), rd(1, 2 * S, 50, 'fault')], positions: [] }, T0 + 10 * S);
    expect(brief(res.transitions)).toEqual(['raise:OUT_OF_RANGE@1']);
  });

  test('a process category is refused: fault alarms stay apart from process alarms', () => {
    expect(() => ruleOf({ kind: 'out_of_range', category: 'process', points: [{ pointId: 1, rangeMin: 0, rangeMax: 1 }] })).toThrow(
      /category fault or offline/,
    );
  });
});
