import { describe, expect, test } from 'vitest';
import { backtest } from './backtest.js';
import { RuleErrorCode } from './errors.js';
import { evaluateRule } from './evaluate-rule.js';
import { MIN, rd, ruleOf, S, T0 } from './test-fixtures.js';

const rule = ruleOf({
  kind: 'threshold',
  pointId: 7,
  onDelayMs: 5 * S,
  levels: [
    { name: 'H', colour: 'orange', side: 'high', setpoint: 25 },
    { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
  ],
});
const history = [
  rd(7, 0, 10),
  rd(7, 10 * S, 30),
  rd(7, 20 * S, 60),
  rd(7, 40 * S, 10),
  rd(7, 60 * S, 30),
  rd(7, 62 * S, 0),
  rd(7, 90 * S, 55),
  rd(7, 10 * MIN, 0),
];

describe('backtest', () => {
  test('replays stored data with ticks: transitions and counts per level and colour', () => {
    const res = backtest(rule, history, [], { from: T0, to: T0 + 5 * MIN, tickMs: 10 * S });
    expect(res.transitions.map((t) => `${t.kind}:${t.level ?? '-'}@${(t.at - T0) / S}`)).toEqual(['raise:H@15', 'level:HH@25', 'clear:-@40', 'raise:HH@95']);
    expect(res.countsByLevel).toEqual({ H: 1, HH: 2 });
    expect(res.countsByColour).toEqual({ red: 2, orange: 1, yellow: 0, blue: 0 });
  });

  test('the tick spacing changes nothing but the work (deadlines fire at their own time)', () => {
    const coarse = backtest(rule, history, [], { from: T0, to: T0 + 5 * MIN, tickMs: 2 * MIN });
    const fine = backtest(rule, history, [], { from: T0, to: T0 + 5 * MIN, tickMs: S });
    expect(coarse.transitions).toEqual(fine.transitions);
    expect(coarse.finalState).toEqual(fine.finalState);
  });

  test('data outside the range is ignored; a disabled rule is evaluated all the same', () => {
    const res = backtest(ruleOf({ ...rule, enabled: false }), history, [], { from: T0 + 80 * S, to: T0 + 120 * S, tickMs: 10 * S });
    expect(res.transitions.map((t) => `${t.kind}:${t.level}@${(t.at - T0) / S}`)).toEqual(['raise:HH@95']);
  });

  test('matches live evaluation of the same data', () => {
    const live = evaluateRule(
      rule,
      evaluateRule(rule, undefined, { readings: [], positions: [] }, T0).state,
      { readings: history.filter((r) => r.ts <= T0 + 5 * MIN), positions: [] },
      T0 + 5 * MIN,
    );
    expect(backtest(rule, history, [], { from: T0, to: T0 + 5 * MIN, tickMs: 7 * S }).transitions).toEqual(live.transitions);
  });

  test.each([
    { options: { from: T0 + 10, to: T0, tickMs: 1000 }, reason: 'to: from must not be after to' },
    { options: { from: T0, to: T0 + 1000, tickMs: 0 }, reason: 'tickMs: tickMs must be above 0' },
    { options: { from: T0, to: T0 + 10_000_000_000, tickMs: 1 }, reason: 'tickMs: at most 5000000 ticks' },
  ])('refuses bad options: $reason', ({ options, reason }) => {
    expect(() => backtest(rule, history, [], options)).toThrow(
      expect.objectContaining({ code: RuleErrorCode.BacktestOptions, details: expect.arrayContaining([expect.stringContaining(reason)]) }),
    );
  });
});
