import { describe, expect, test } from 'vitest';
import { RuleErrorCode } from './errors.js';
import { evaluateRule } from './evaluate-rule.js';
import { instantiatePreset } from './presets/preset-registry.js';
import { resetLatch } from './reset-latch.js';
import { brief, rd, ruleOf, runSteps, S, series, T0 } from './test-fixtures.js';

// GB/T 50493 worked example through the preset: FIRST at 25 %LEL, SECOND at 50 %LEL, latching.
const gas = instantiatePreset('gas-combustible', { ruleId: 'lel-101', enterpriseId: 'ent-1', hazardSourceId: 'hs-1', pointId: 7 });

describe('latching gas alarm and its reset', () => {
  test('a detector crossing 25 then 50 %LEL; gas gone → latching clear, the latch holds until reset', () => {
    const leak = runSteps(gas, [{ readings: series(7, 0, [0, 12, 26, 38, 51, 60, 30, 10, 0, 0]), now: 20 * S }]);
    // Gone below 25 %LEL at 7 s: the condition returned to normal, announced with latching (ISA-18.2 `latched`).
    expect(brief(leak.transitions)).toEqual(['raise:FIRST@2', 'level:SECOND@4', 'clear:-@7']);
    expect(leak.transitions.map((t) => [t.colour, t.latching])).toEqual([
      ['orange', true],
      ['red', true],
      [null, true],
    ]);
    expect(leak.transitions[2]?.message).toContain('latched until reset');
    // Gas gone for an hour: nothing more, the alarm is held at SECOND.
    const quiet = runSteps(gas, [{ readings: series(7, 21, [0, 0, 0]), now: 3600 * S }], leak.state);
    expect(quiet.transitions).toEqual([]);
    expect(quiet.state?.subjects['point:7']?.open).toEqual({ level: 'SECOND', colour: 'red', since: T0 + 2 * S, latched: true, clearSent: true });
    // A person resets it: the clear was already sent, so no transition; the engine forgets the alarm
    // (the worker applies the person's `reset` to the alarm store: latched → normal).
    const reset = resetLatch(gas, quiet.state, T0 + 3700 * S);
    expect(reset.ok).toBe(true);
    if (!reset.ok) return;
    expect(reset.transitions).toEqual([]);
    expect(reset.reset).toEqual(['point:7']);
    expect(reset.state.subjects['point:7']?.open).toBeNull();
    // And the next leak raises afresh: a new alarm.
    const again = runSteps(gas, [{ readings: [rd(7, 3800 * S, 30)], now: 3800 * S }], reset.state);
    expect(brief(again.transitions)).toEqual(['raise:FIRST@3800']);
  });

  test('gas back while latched: raise again (same open alarm, at the latched level); gone again: clear; then reset', () => {
    const leak = runSteps(gas, [{ readings: series(7, 0, [30, 55, 0]), now: 10 * S }]);
    expect(brief(leak.transitions)).toEqual(['raise:FIRST@0', 'level:SECOND@1', 'clear:-@2']);
    // Back at the first level only: raised at SECOND, the level still latched (a latch never goes down).
    const back = runSteps(gas, [{ readings: [rd(7, 20 * S, 30)], now: 20 * S }], leak.state);
    expect(brief(back.transitions)).toEqual(['raise:SECOND@20']);
    expect(back.transitions[0]).toMatchObject({
      colour: 'red',
      latching: true,
      value: 30,
      message: expect.stringContaining('FIRST (orange) active again before reset, latched at SECOND (red)'),
    });
    expect(back.state?.subjects['point:7']?.open).toMatchObject({ level: 'SECOND', latched: false, since: T0 });
    // While it is back, a reset is refused.
    const early = resetLatch(gas, back.state, T0 + 25 * S);
    expect(early.ok === false && early.code).toBe(RuleErrorCode.ResetConditionActive);
    // Gone again: one more latching clear; then the reset goes through with no transition.
    const gone = runSteps(gas, [{ readings: [rd(7, 30 * S, 0)], now: 30 * S }], back.state);
    expect(brief(gone.transitions)).toEqual(['clear:-@30']);
    const reset = resetLatch(gas, gone.state, T0 + 40 * S);
    expect(reset.ok && reset.transitions).toEqual([]);
    // Ids stay distinct and deterministic (the subject's transition count is part of them).
    const ids = [...leak.transitions, ...back.transitions, ...gone.transitions].map((t) => t.id);
    expect(ids).toEqual([
      `lel-101:1:point:7:0:raise:${T0}`,
      `lel-101:1:point:7:1:level:${T0 + S}`,
      `lel-101:1:point:7:2:clear:${T0 + 2 * S}`,
      `lel-101:1:point:7:3:raise:${T0 + 20 * S}`,
      `lel-101:1:point:7:4:clear:${T0 + 30 * S}`,
    ]);
  });

  test('a latch stored before the engine announced it (no clearSent) gets its clear from the reset', () => {
    const { state } = runSteps(gas, [{ readings: series(7, 0, [30, 0]), now: 5 * S }]);
    const open = state?.subjects['point:7']?.open;
    if (!state || !open) throw new Error('expected an open alarm');
    const { clearSent: _, ...legacyOpen } = open;
    const legacy = { ...state, subjects: { 'point:7': { ...state.subjects['point:7'], seq: 1, levels: {}, open: legacyOpen, value: 0, hold: false } } };
    const reset = resetLatch(gas, legacy, T0 + 10 * S);
    expect(reset.ok && brief(reset.transitions)).toEqual(['clear:-@10']);
    // And such a state, observed again, announces its clear once.
    const observed = runSteps(gas, [{ readings: [rd(7, 6 * S, 0)], now: 6 * S }], legacy);
    expect(brief(observed.transitions)).toEqual(['clear:-@6']);
    expect(runSteps(gas, [{ readings: [rd(7, 7 * S, 0)], now: 7 * S }], observed.state).transitions).toEqual([]);
  });

  test('an off-delay that completes by the reset time: its latching clear comes with the reset', () => {
    const delayed = ruleOf({
      kind: 'threshold',
      pointId: 7,
      latching: true,
      offDelayMs: 60 * S,
      levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }],
    });
    const { state, transitions } = runSteps(delayed, [{ readings: [rd(7, 0, 30), rd(7, 10 * S, 0)], now: 20 * S }]);
    expect(brief(transitions)).toEqual(['raise:H@0']);
    expect(resetLatch(delayed, state, T0 + 60 * S)).toMatchObject({ ok: false, code: RuleErrorCode.ResetConditionActive });
    const reset = resetLatch(delayed, state, T0 + 80 * S);
    expect(reset.ok && brief(reset.transitions)).toEqual(['clear:-@70']);
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
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const advanced = evaluateRule(gas, state, { readings: [], positions: [] }, T0 + 10 * S);
    expect(advanced.transitions).toEqual([]);
  });
});
