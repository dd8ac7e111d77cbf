import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, MIN, rd, ruleOf, S, T0 } from '../test-fixtures.js';

const rule = ruleOf({ kind: 'stuck', pointIds: [4], tolerance: 0.1, durationMs: 10 * MIN });
const every = (startMin: number, values: number[], quality: 'good' | 'fault' = 'good') => values.map((v, i) => rd(4, (startMin + i) * MIN, v, quality));

describe('stuck', () => {
  test.each([
    {
      name: 'flat within tolerance for the duration raises at the reading that completes it',
      readings: every(0, [5, 5.05, 5, 5.1, 5, 5, 5, 5, 5, 5, 5.02]),
      expected: ['raise:STUCK@600'],
    },
    { name: 'a value moving more than the tolerance restarts the band', readings: every(0, [5, 5, 5, 5, 5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5]), expected: [] },
    {
      name: 'cleared when the value moves',
      readings: [
        ...every(
          0,
          Array.from({ length: 11 }, () => 2),
        ),
        rd(4, 11 * MIN, 3),
      ],
      expected: ['raise:STUCK@600', 'clear:-@660'],
    },
    {
      name: 'fault readings neither extend the band nor clear the alarm',
      readings: [
        ...every(
          0,
          Array.from({ length: 11 }, () => 2),
        ),
        rd(4, 11 * MIN, 9, 'fault'),
      ],
      expected: ['raise:STUCK@600'],
    },
  ])('$name', ({ readings, expected }) => {
    expect(brief(evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 60 * MIN).transitions)).toEqual(expected);
  });

  test('silence alone never makes a flatline (that is interruption)', () => {
    const res = evaluateRule(rule, undefined, { readings: [rd(4, 0, 2), rd(4, S, 2)], positions: [] }, T0 + 5 * 60 * MIN);
    expect(res.transitions).toEqual([]);
  });
});
