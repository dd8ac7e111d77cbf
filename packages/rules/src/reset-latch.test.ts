import { describe, expect, test } from 'vitest';
import { RuleErrorCode } from './errors.js';
import { evaluateRule } from './evaluate-rule.js';
import { instantiatePreset } from './presets/preset-registry.js';
import { resetLatch } from './reset-latch.js';
import { brief, rd, ruleOf, runSteps, S, series, T0 } from './test-fixtures.js';

// GB/T 50493 worked example through the preset: FIRST at 25 %LEL, SECOND at 50 %LEL, latching.
const gas = instantiatePreset('gas-combustible', { ruleId: 'lel-101', enterpriseId: 'ent-1', hazardSourceId: 'hs-1', pointId: 7 });

describe('latching gas alarm and its reset', () => {
  test('a detector crossing 25 then 50 %LEL; the latch holds after the gas is gone until reset', () => {
    const leak = runSteps(gas, [{ readings: series(7, 0, [0, 12, 26, 38, 51, 60, 30, 10, 0, 0]), now: 20 * S }]);
    expect(brief(leak.transitions)).toEqual(['raise:FIRST@2', 'level:SECOND@4']);
    expect(leak.transitions.map((t) => [t.colour, t.latching])).toEqual([
      ['orange', true],
      ['red', true],
    ]);
    // Gas gone for an hour: still no clear, still SECOND.
    const quiet = runSteps(gas, [{ readings: series(7, 21, [0, 0, 0]), now: 3600 * S }], leak.state);
    expect(quiet.transitions).toEqual([]);
    expect(quiet.state?.subjects['point:7']?.open).toEqual({ level: 'SECOND', colour: 'red', since: T0 + 2 * S, latched: true });
    // A person resets it: one clear, at the time of the reset.
    const reset = resetLatch(gas, quiet.state, T0 + 3700 * S);
    expect(reset.ok).toBe(true);
    if (!reset.ok) return;
    expect(brief(reset.transitions)).toEqual(['clear:-@3700']);
    expect(reset.reset).toEqual(['point:7']);
    expect(reset.state.subjects['point:7']?.open).toBeNull();
    // And the next leak raises afresh.
    const again = runSteps(gas, [{ readings: [rd(7, 3800 * S, 30)], now: 3800 * S }], reset.state);
    expect(brief(again.transitions)).toEqual(['raise:FIRST@3800']);
  });

  test('reset refused while the gas is still above a level', () => {
    const { state } = runSteps(gas, [{ readings: series(7, 0, [60, 30]), now: 5 * S }]);
    const res = resetLatch(gas, state, T0 + 10 * S);
    expect(res).toEqual({ ok: false, code: RuleErrorCode.ResetConditionActive, message: expect.stringContaining('still active'), subjects: ['point:7'] });
    expect(RuleErrorCode.ResetConditionActive).toBe('HW_RULES_RESET_CONDITION_ACTIVE');
  });

  test('reset refused while the detector is faulty: gone cannot be known', () => {
    const { state } = runSteps(gas, [{ readings: [rd(7, 0, 60), rd(7, S, 0), rd(7, 2 * S, 0, 'fault')], now: 5 * S }]);
    const res = resetLatch(gas, state, T0 + 10 * S);
    expect(res.ok === false && res.code).toBe(RuleErrorCode.ResetConditionUnknown);
  });

  test('reset refused while the gas is back but its on-delay has not completed', () => {
    const delayed = ruleOf({
      kind: 'threshold',
      pointId: 7,
      latching: true,
      onDelayMs: 10 * S,
      levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }],
    });
    const { state } = runSteps(delayed, [{ readings: [rd(7, 0, 30), rd(7, 20 * S, 0), rd(7, 30 * S, 30)], now: 31 * S }]);
    const res = resetLatch(delayed, state, T0 + 32 * S);
    expect(res.ok === false && res.code).toBe(RuleErrorCode.ResetConditionActive);
  });

  test.each([
    { name: 'no state at all', state: undefined },
    { name: 'no alarm', state: runSteps(gas, [{ readings: series(7, 0, [0, 1]), now: 5 * S }]).state },
  ])('nothing latched: $name', ({ state }) => {
    const res = resetLatch(gas, state, T0 + 10 * S);
    expect(res.ok === false && res.code).toBe(RuleErrorCode.ResetNothingLatched);
  });

  test('reset by subject, and the state passed in is never modified', () => {
    const { state } = runSteps(gas, [{ readings: series(7, 0, [30, 0]), now: 5 * S }]);
    const before = JSON.stringify(state);
    const wrong = resetLatch(gas, state, T0 + 10 * S, { subject: 'point:8' });
    expect(wrong.ok === false && wrong.code).toBe(RuleErrorCode.ResetNothingLatched);
    const right = resetLatch(gas, state, T0 + 10 * S, { subject: 'point:7' });
    expect(right.ok).toBe(true);
    expect(JSON.stringify(state)).toBe(before);
  });

  test('a reset retried from the same state yields the same transition id', () => {
    const { state } = runSteps(gas, [{ readings: series(7, 0, [30, 0]), now: 5 * S }]);
    const a = resetLatch(gas, state, T0 + 10 * S);
    const b = resetLatch(gas, state, T0 + 10 * S);
    expect(a.ok && b.ok && a.transitions.map((t) => t.id)).toEqual(b.ok && b.transitions.map((t) => t.id));
    const advanced = evaluateRule(gas, state, { readings: [], positions: [] }, T0 + 10 * S);
    expect(advanced.transitions).toEqual([]);
  });
});
