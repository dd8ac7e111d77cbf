import { describe, expect, test } from 'vitest';
import { evaluateRule } from './evaluate-rule.js';
import { resetLatch } from './reset-latch.js';
import { brief, rd, ruleOf, runSteps, S, T0 } from './test-fixtures.js';

const v1 = ruleOf({
  kind: 'threshold',
  pointId: 7,
  levels: [
    { name: 'H', colour: 'orange', side: 'high', setpoint: 25 },
    { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
  ],
});
const v2 = (fields: Record<string, unknown>) => ruleOf({ ...v1, version: 2, ...fields });

describe('rule version change', () => {
  test('an open alarm is carried; the new setpoints decide from the next observation', () => {
    const { state } = runSteps(v1, [{ readings: [rd(7, 0, 30)], now: S }]);
    // Version 2 raises H to 40: the held value 30 is now normal, so the carried alarm clears at once.
    const res = evaluateRule(
      v2({ levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 40 }] }),
      state,
      { readings: [], positions: [] },
      T0 + 10 * S,
    );
    expect(res.transitions.map((t) => `${t.kind}:${t.ruleVersion}@${(t.at - T0) / S}`)).toEqual(['clear:2@10']);
    expect(res.state.ruleVersion).toBe(2);
  });

  test('a carried alarm whose condition still holds stays raised without a new raise', () => {
    const { state } = runSteps(v1, [{ readings: [rd(7, 0, 30)], now: S }]);
    const res = evaluateRule(v2({ name: 'renamed' }), state, { readings: [rd(7, 20 * S, 31)], positions: [] }, T0 + 30 * S);
    expect(res.transitions).toEqual([]);
    expect(res.state.subjects['point:7']?.open?.level).toBe('H');
  });

  test('a level whose colour changed is announced with a level transition', () => {
    const { state } = runSteps(v1, [{ readings: [rd(7, 0, 30)], now: S }]);
    const res = evaluateRule(
      v2({
        levels: [
          { name: 'H', colour: 'yellow', side: 'high', setpoint: 25 },
          { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
        ],
      }),
      state,
      { readings: [], positions: [] },
      T0 + 10 * S,
    );
    expect(res.transitions.map((t) => `${t.kind}:${t.level}:${t.colour}`)).toEqual(['level:H:yellow']);
  });

  test('an alarm the new version cannot have is cleared by an explicit transition that says why', () => {
    const { state } = runSteps(v1, [{ readings: [rd(7, 0, 60)], now: S }]);
    // The change is seen at the first evaluation under version 2 (10 s); the held 60 raises H there.
    const res = evaluateRule(
      v2({ levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }] }),
      state,
      { readings: [], positions: [] },
      T0 + 10 * S,
    );
    expect(brief(res.transitions)).toEqual(['clear:-@10', 'raise:H@10']);
    expect(res.transitions[0]?.message).toContain('level HH no longer exists');
  });

  test('a latched alarm stays latched across a version change', () => {
    const latching = ruleOf({ ...v1, latching: true });
    const { state } = runSteps(latching, [{ readings: [rd(7, 0, 30), rd(7, S, 0)], now: 2 * S }]);
    const res = evaluateRule(ruleOf({ ...latching, version: 2, name: 'v2' }), state, { readings: [rd(7, 5 * S, 0)], positions: [] }, T0 + 10 * S);
    expect(res.transitions).toEqual([]);
    expect(res.state.subjects['point:7']?.open?.latched).toBe(true);
  });

  test('a latched alarm the new version cannot have is kept latched (no second clear) until a person resets it', () => {
    const latching = ruleOf({ ...v1, latching: true });
    const { state, transitions } = runSteps(latching, [{ readings: [rd(7, 0, 60), rd(7, S, 0)], now: 2 * S }]);
    expect(brief(transitions)).toEqual(['raise:HH@0', 'clear:-@1']);
    const v2Rule = ruleOf({ ...latching, version: 2, levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }] });
    const res = evaluateRule(v2Rule, state, { readings: [rd(7, 5 * S, 0)], positions: [] }, T0 + 10 * S);
    expect(res.transitions).toEqual([]);
    expect(res.state.subjects['point:7']?.open).toMatchObject({ level: 'HH', latched: true });
    const reset = resetLatch(v2Rule, res.state, T0 + 20 * S);
    expect(reset.ok && reset.transitions).toEqual([]);
    expect(reset.ok && reset.state.subjects['point:7']?.open).toBeNull();
  });

  test('an interruption alarm stays raised across a version change (last-seen times are facts)', () => {
    const r1 = ruleOf({ kind: 'interruption', pointIds: [1], timeoutMs: 30 * S });
    const { state } = runSteps(r1, [{ readings: [rd(1, 0, 1)], now: 60 * S }]);
    const r2 = ruleOf({ ...r1, version: 2, timeoutMs: 40 * S });
    const res = evaluateRule(r2, state, { readings: [], positions: [] }, T0 + 70 * S);
    expect(res.transitions).toEqual([]);
    expect(res.state.subjects['point:1']?.open?.level).toBe('INTERRUPTION');
  });

  test('a state of another rule is refused', () => {
    const { state } = runSteps(v1, [{ readings: [rd(7, 0, 30)], now: S }]);
    expect(() => evaluateRule(ruleOf({ ...v1, id: 'other' }), state, { readings: [], positions: [] }, T0)).toThrow(
      expect.objectContaining({ code: 'HW_RULES_STATE_MISMATCH' }),
    );
  });
});
