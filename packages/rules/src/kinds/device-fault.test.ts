import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, rd, ruleOf, S, T0 } from '../test-fixtures.js';

const rule = ruleOf({ kind: 'device_fault', pointIds: [1, 2] });

describe('device_fault', () => {
  test.each([
    { name: 'good readings: nothing', qualities: ['good', 'good'] as const, expected: [] },
    { name: 'fault raises, good clears', qualities: ['good', 'fault', 'good'] as const, expected: ['raise:DEVICE_FAULT@1', 'clear:-@2'] },
    { name: 'maintenance neither raises nor clears', qualities: ['fault', 'maintenance', 'maintenance'] as const, expected: ['raise:DEVICE_FAULT@0'] },
  ])('$name', ({ qualities, expected }) => {
    const readings = qualities.map((q, i) => rd(1, i * S, 0, q));
    expect(brief(evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 10 * S).transitions)).toEqual(expected);
  });

  test('each point is its own alarm', () => {
    const res = evaluateRule(rule, undefined, { readings: [rd(1, 0, 0, 'fault'), rd(2, S, 0, 'fault'), rd(1, 2 * S, 0)], positions: [] }, T0 + 3 * S);
    expect(res.transitions.map((t) => `${t.subject}:${t.kind}`)).toEqual(['point:1:raise', 'point:2:raise', 'point:1:clear']);
  });
});
