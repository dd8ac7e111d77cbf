import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, H, MIN, rd, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

const tailings = (item: Record<string, unknown>, pointIds = [1], extra: Record<string, unknown> = {}) => ruleOf({ kind: 'tailings', pointIds, item, ...extra });

describe('tailings', () => {
  test.each([
    // Freeboard = crest 120 − pond level; low is dangerous.
    {
      name: 'freeboard above every grade',
      item: { measure: 'freeboard', crestElevationM: 120, grades: { red: 0.5, orange: 0.7, yellow: 1 } },
      values: [118],
      expected: [],
    },
    {
      name: 'freeboard shrinking through yellow, orange, red',
      item: { measure: 'freeboard', crestElevationM: 120, grades: { red: 0.5, orange: 0.7, yellow: 1 } },
      values: [118, 119, 119.35, 119.6],
      expected: ['raise:yellow@1', 'level:orange@2', 'level:red@3'],
    },
    {
      name: 'beach length at the red minimum',
      item: { measure: 'beach_length', grades: { red: 70, orange: 80 } },
      values: [100, 75, 70],
      expected: ['raise:orange@1', 'level:red@2'],
    },
    {
      name: 'pond level high is dangerous',
      item: { measure: 'pond_level', grades: { yellow: 110, red: 115 } },
      values: [100, 111, 100],
      expected: ['raise:yellow@1', 'clear:-@2'],
    },
    {
      name: 'displacement',
      item: { measure: 'displacement', grades: { orange: 40, red: 50 } },
      values: [10, 45, 52],
      expected: ['raise:orange@1', 'level:red@2'],
    },
  ])('$name', ({ item, values, expected }) => {
    const readings = values.map((v, i) => rd(1, i * 10 * MIN, v));
    expect(
      brief(evaluateRule(tailings(item), undefined, { readings, positions: [] }, T0 + H).transitions).map((b) =>
        b.replace(/@(\d+)/, (_, s) => `@${Number(s) / 600}`),
      ),
    ).toEqual(expected);
  });

  test('a dam reaching orange at 1.1 × the red phreatic depth (GB 51108 §8.3)', () => {
    // Design minimum burial depth 4 m → red at ≤ 4.0 m, orange at ≤ 4.4 m.
    const rule = tailings({ measure: 'phreatic_depth', grades: { red: 4, orange: 4.4 } });
    const readings = [rd(1, 0, 6), rd(1, H, 4.5), rd(1, 2 * H, 4.4), rd(1, 3 * H, 4.1), rd(1, 4 * H, 3.9)];
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 5 * H);
    expect(res.transitions.map((t) => `${t.kind}:${t.colour}@${(t.at - T0) / H}h=${t.value}`)).toEqual(['raise:orange@2h=4.4', 'level:red@4h=3.9']);
    expect(res.transitions[0]?.category).toBe('dam');
  });

  test('rainfall 31 mm in 12 h → yellow (rainstorm grade)', () => {
    const rule = tailings({
      measure: 'rainfall',
      windows: [
        { windowMs: 12 * H, grades: { yellow: 30 } },
        { windowMs: 24 * H, grades: { yellow: 50 } },
      ],
    });
    // 31 mm in hourly increments over 11 hours (2.5 mm, then a heavier 6 mm hour).
    const increments = [2.5, 2.5, 2.5, 2.5, 2.5, 6, 2.5, 2.5, 2.5, 2.5, 2.5];
    const readings = increments.map((mm, i) => rd(1, (i + 1) * H, mm));
    expect(increments.reduce((a, b) => a + b)).toBe(31);
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 11 * H);
    expect(res.transitions.map((t) => `${t.kind}:${t.colour}@${(t.at - T0) / H}h=${t.value}`)).toEqual(['raise:yellow@11h=31']);
    // No more rain: the first increment leaves the 12 h window at 13 h (31 − 2.5 < 30), cleared then, on a tick.
    const later = evaluateRule(rule, res.state, { readings: [], positions: [] }, T0 + 30 * H);
    expect(later.transitions.map((t) => `${t.kind}@${(t.at - T0) / H}h`)).toEqual(['clear@13h']);
  });

  test('rainfall from a cumulative gauge counter (reset at the day boundary)', () => {
    const rule = tailings({ measure: 'rainfall', reading: 'cumulative', windows: [{ windowMs: 12 * H, grades: { yellow: 30 } }] });
    // Counter 100 (first value carries no increment), +10, +15, reset to 4 (+4), +2: 31 mm.
    const readings = [rd(1, 0, 100), rd(1, H, 110), rd(1, 2 * H, 125), rd(1, 3 * H, 4), rd(1, 4 * H, 6)];
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 4 * H);
    expect(res.transitions.map((t) => `${t.kind}:${t.colour}=${t.value}`)).toEqual(['raise:yellow=31']);
  });

  test.each([
    { name: '3 points at blue stay blue', levels: [2, 2, 2], expected: 'blue' },
    { name: '4 points at blue make the item yellow', levels: [2, 2, 2, 2], expected: 'yellow' },
    { name: '3 points at yellow make it orange', levels: [3, 3, 3, 0], expected: 'orange' },
    { name: '2 points at orange make it red', levels: [4, 4, 0, 0], expected: 'red' },
    { name: 'the worst point sets the floor', levels: [2, 3, 4, 2], expected: 'orange' },
    { name: 'a point graded worse counts toward a lower step', levels: [2, 2, 2, 3], expected: 'yellow' },
  ])('multi-point aggregation: $name', ({ levels, expected }) => {
    // Displacement grades: blue ≥ 2, yellow ≥ 3, orange ≥ 4, red ≥ 5 (mm); 4 points.
    const rule = tailings({ measure: 'displacement', grades: { blue: 2, yellow: 3, orange: 4, red: 5 } }, [1, 2, 3, 4]);
    const readings = levels.map((v, i) => rd(i + 1, 0, v));
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + MIN);
    expect(res.transitions.map((t) => t.colour)).toEqual([expected]);
  });

  test('the aggregation counts are a policy (null disables a step)', () => {
    const rule = tailings({ measure: 'displacement', grades: { blue: 2, orange: 4, red: 5 } }, [1, 2, 3, 4], {
      escalation: { blue: null, yellow: 3, orange: 2 },
    });
    const res = evaluateRule(rule, undefined, { readings: [1, 2, 3, 4].map((id) => rd(id, 0, 2)), positions: [] }, T0 + MIN);
    expect(res.transitions.map((t) => t.colour)).toEqual(['blue']);
  });

  test('a point that has not reported or is faulty holds the item: it may rise, never fall', () => {
    const rule = tailings({ measure: 'displacement', grades: { orange: 4, red: 5 } }, [1, 2]);
    const { transitions } = runSteps(rule, [
      { readings: [rd(1, 0, 4.5)], now: MIN }, // point 2 never reported: orange still raised
      { readings: [rd(1, 2 * MIN, 1)], now: 3 * MIN }, // point 2 still unknown: no clear
      { readings: [rd(2, 4 * MIN, 1)], now: 5 * MIN }, // every point known and quiet: cleared
      { readings: [rd(1, 6 * MIN, 6), rd(2, 6 * MIN, 0, 'fault')], now: 7 * MIN },
      { readings: [rd(1, 8 * MIN, 1)], now: 9 * MIN }, // point 2 faulty: held at red
    ]);
    expect(brief(transitions)).toEqual(['raise:orange@0', 'clear:-@240', 'raise:red@360']);
  });

  test('grades in the wrong order are refused with a reason', () => {
    expect(() => tailings({ measure: 'phreatic_depth', grades: { red: 5, orange: 4 } })).toThrow(
      /orange \(4\) must be above red \(5\)|red \(5\) must be below orange \(4\)/,
    );
  });

  test('displacement rate over a window', () => {
    const rule = tailings({ measure: 'displacement_rate', windowMs: H, grades: { yellow: 5 } });
    const res = evaluateRule(rule, undefined, { readings: [rd(1, 0, 100), rd(1, 30 * MIN, 103), rd(1, 50 * MIN, 106)], positions: [] }, T0 + 50 * MIN);
    expect(res.transitions.map((t) => `${t.kind}:${t.colour}=${t.value}@${(t.at - T0) / MIN}`)).toEqual(['raise:yellow=6@50']);
    expect(res.nextDueAt).toBe(T0 + 90 * MIN);
    expect(S).toBe(1000);
  });
});
