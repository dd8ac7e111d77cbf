import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, rd, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

const rule = ruleOf({
  kind: 'rate_of_change',
  pointId: 5,
  windowMs: 60 * S,
  levels: [
    { name: 'RISE', colour: 'yellow', direction: 'rise', delta: 10 },
    { name: 'FALL', colour: 'orange', direction: 'fall', delta: 20 },
  ],
});

describe('rate_of_change', () => {
  test.each([
    {
      name: 'slow drift within the window: nothing',
      points: [
        [0, 0],
        [30, 4],
        [60, 8],
        [90, 12],
        [120, 16],
      ],
      expected: [],
    },
    {
      name: 'a rise of 10 within 60 s raises',
      points: [
        [0, 0],
        [30, 5],
        [50, 10],
      ],
      expected: ['raise:RISE@50'],
    },
    {
      name: 'a fall of 20 within 60 s raises FALL',
      points: [
        [0, 50],
        [20, 40],
        [40, 29],
      ],
      expected: ['raise:FALL@40'],
    },
  ])('$name', ({ points, expected }) => {
    const readings = points.map(([t, v]) => rd(5, (t ?? 0) * S, v ?? 0));
    expect(brief(evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 60 * S).transitions)).toEqual(expected);
  });

  test('a step that levels off clears once the low value leaves the window (at that time, on a tick)', () => {
    // 0 at 0 s and 10 s, 12 from 20 s on. The value is 0 until 20 s (sample and hold), so the window
    // [t − 60 s, t] starts on a 0 until t = 80 s.
    const { transitions } = runSteps(rule, [{ readings: [rd(5, 0, 0), rd(5, 10 * S, 0), rd(5, 20 * S, 12)], now: 21 * S }, { now: 200 * S }]);
    expect(brief(transitions)).toEqual(['raise:RISE@20', 'clear:-@80']);
  });
});
