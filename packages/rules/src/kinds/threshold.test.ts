import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { brief, rd, ruleOf, runSteps, S, series, T0 } from '../test-fixtures.js';

const gas = (extra: Record<string, unknown> = {}) =>
  ruleOf({
    kind: 'threshold',
    pointId: 7,
    levels: [
      { name: 'H', colour: 'orange', side: 'high', setpoint: 25 },
      { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
    ],
    ...extra,
  });

const oxygen = ruleOf({
  kind: 'threshold',
  pointId: 3,
  levels: [
    { name: 'LOW', colour: 'orange', side: 'low', setpoint: 19.5 },
    { name: 'HIGH', colour: 'yellow', side: 'high', setpoint: 23.5 },
  ],
});

describe('threshold', () => {
  test.each([
    { name: 'below every level: nothing', rule: gas(), values: [0, 10, 24.9], expected: [] },
    { name: 'setpoint reached exactly raises', rule: gas(), values: [10, 25], expected: ['raise:H@1'] },
    { name: 'H then HH then back down then normal', rule: gas(), values: [10, 30, 55, 30, 5], expected: ['raise:H@1', 'level:HH@2', 'level:H@3', 'clear:-@4'] },
    { name: 'a jump straight to HH raises HH', rule: gas(), values: [0, 60], expected: ['raise:HH@1'] },
    {
      name: 'deadband: clears only below setpoint − deadband',
      rule: gas({ deadband: 2 }),
      values: [26, 24, 23.5, 23, 22.9],
      expected: ['raise:H@0', 'clear:-@4'],
    },
    {
      name: 'low side and high side on one point',
      rule: oxygen,
      values: [20.9, 19.4, 20.9, 23.6, 20.9],
      expected: ['raise:LOW@1', 'clear:-@2', 'raise:HIGH@3', 'clear:-@4'],
    },
    {
      name: 'latching: never goes down by itself; the condition gone is a latching clear',
      rule: gas({ latching: true }),
      values: [30, 55, 30, 0],
      expected: ['raise:H@0', 'level:HH@1', 'clear:-@3'],
    },
    {
      name: 'latching: back before the reset is a raise at the latched level (or worse)',
      rule: gas({ latching: true }),
      values: [55, 0, 30, 0, 0, 60],
      expected: ['raise:HH@0', 'clear:-@1', 'raise:HH@2', 'clear:-@3', 'raise:HH@5'],
    },
    {
      name: 'latching: the latched level rises when the gas comes back worse',
      rule: gas({ latching: true }),
      values: [30, 0, 60],
      expected: ['raise:H@0', 'clear:-@1', 'raise:HH@2'],
    },
    {
      name: 'latching: the clear respects the deadband',
      rule: gas({ latching: true, deadband: 2 }),
      values: [26, 24, 23.5, 22.9],
      expected: ['raise:H@0', 'clear:-@3'],
    },
  ])('$name', ({ rule, values, expected }) => {
    const res = evaluateRule(rule, undefined, { readings: series(rule.kind === 'threshold' ? rule.pointId : 0, 0, values), positions: [] }, T0 + 100 * S);
    expect(brief(res.transitions)).toEqual(expected);
  });

  test('on-delay: raised only when the condition has held the delay, at the deadline', () => {
    const rule = gas({ onDelayMs: 15 * S });
    // Above from 10 s; a tick at 24 s is too early; at 30 s the tick reports the true deadline 25 s.
    const { transitions } = runSteps(rule, [{ readings: [rd(7, 0, 10), rd(7, 10 * S, 30)], now: 10 * S }, { now: 24 * S }, { now: 30 * S }]);
    expect(brief(transitions)).toEqual(['raise:H@25']);
  });

  test('on-delay: a dip before the deadline restarts the delay', () => {
    const rule = gas({ onDelayMs: 15 * S });
    const { transitions } = runSteps(rule, [{ readings: [rd(7, 0, 30), rd(7, 10 * S, 20), rd(7, 12 * S, 30)], now: 26 * S }, { now: 40 * S }]);
    expect(brief(transitions)).toEqual(['raise:H@27']);
  });

  test('off-delay: cleared only after the condition has been gone the delay', () => {
    const rule = gas({ offDelayMs: 60 * S });
    const { transitions } = runSteps(rule, [{ readings: [rd(7, 0, 30), rd(7, 10 * S, 5)], now: 69 * S }, { now: 71 * S }]);
    expect(brief(transitions)).toEqual(['raise:H@0', 'clear:-@70']);
  });

  test('latching: the latching clear waits out the off-delay, and a fault reading holds it off', () => {
    const rule = gas({ latching: true, offDelayMs: 60 * S });
    const { transitions } = runSteps(rule, [{ readings: [rd(7, 0, 30), rd(7, 10 * S, 5)], now: 69 * S }, { now: 71 * S }]);
    expect(brief(transitions)).toEqual(['raise:H@0', 'clear:-@70']);
    expect(transitions.map((t) => t.latching)).toEqual([true, true]);
    const faulty = gas({ latching: true });
    const held = runSteps(faulty, [{ readings: [rd(7, 0, 30), rd(7, S, 0, 'fault')], now: 60 * S }]);
    expect(brief(held.transitions)).toEqual(['raise:H@0']);
  });

  test('a fault reading never clears: the alarm holds until a good reading shows normal', () => {
    const rule = gas();
    const readings = [rd(7, 0, 30), rd(7, 1 * S, 0, 'fault'), rd(7, 2 * S, 0, 'maintenance'), rd(7, 3 * S, 0, 'fault'), rd(7, 4 * S, 3)];
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 10 * S);
    expect(brief(res.transitions)).toEqual(['raise:H@0', 'clear:-@4']);
  });

  test('a fault reading keeps an off-delay from completing', () => {
    const rule = gas({ offDelayMs: 5 * S });
    const readings = [rd(7, 0, 30), rd(7, 1 * S, 5), rd(7, 2 * S, 0, 'fault')];
    const held = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 60 * S);
    expect(brief(held.transitions)).toEqual(['raise:H@0']);
    // Back to good and normal: the off-delay runs from then.
    const after = evaluateRule(rule, held.state, { readings: [rd(7, 61 * S, 5)], positions: [] }, T0 + 70 * S);
    expect(brief(after.transitions)).toEqual(['clear:-@66']);
  });

  test('a fault reading does not cancel a pending raise of a value already seen above', () => {
    const rule = gas({ onDelayMs: 10 * S });
    const res = evaluateRule(rule, undefined, { readings: [rd(7, 0, 30), rd(7, 5 * S, 0, 'fault')], positions: [] }, T0 + 20 * S);
    expect(brief(res.transitions)).toEqual(['raise:H@10']);
  });

  test('readings of other points are ignored', () => {
    const res = evaluateRule(gas(), undefined, { readings: [rd(8, 0, 99)], positions: [] }, T0 + S);
    expect(res.transitions).toEqual([]);
  });

  test('transition fields: ids, rule facts, value and message', () => {
    const res = evaluateRule(gas(), undefined, { readings: [rd(7, 2 * S, 30)], positions: [] }, T0 + 3 * S);
    expect(res.transitions).toEqual([
      {
        id: `r-1:1:point:7:0:raise:${T0 + 2 * S}`,
        ruleId: 'r-1',
        ruleVersion: 1,
        subject: 'point:7',
        enterpriseId: 'ent-1',
        hazardSourceId: 'hs-1',
        vehicleId: null,
        pointIds: [7],
        kind: 'raise',
        category: 'process',
        level: 'H',
        colour: 'orange',
        latching: false,
        value: 30,
        at: T0 + 2 * S,
        message: 'test rule: H (orange) raised; point 7 = 30 (H ≥ 25, HH ≥ 50; deadband 0)',
      },
    ]);
  });
});
