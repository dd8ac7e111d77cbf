import { AlarmTransitionSchema } from '@hazardwatch/contracts';
import { describe, expect, test } from 'vitest';
import { evaluateRule, NO_INPUTS } from './evaluate-rule.js';
import { RuleStateSchema } from './state.js';
import { brief, pos, rd, ruleOf, runSteps, S, T0 } from './test-fixtures.js';

const rule = ruleOf({ kind: 'threshold', pointId: 7, onDelayMs: 5 * S, levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }] });

describe('evaluateRule', () => {
  test('inputs out of order within a job are taken in time order', () => {
    const res = evaluateRule(rule, undefined, { readings: [rd(7, 10 * S, 0), rd(7, 0, 30)], positions: [] }, T0 + 20 * S);
    expect(brief(res.transitions)).toEqual(['raise:H@5', 'clear:-@10']);
  });

  test('a late reading (older than the engine time) takes effect at the engine time', () => {
    const first = evaluateRule(rule, undefined, { readings: [rd(7, 0, 0)], positions: [] }, T0 + 100 * S);
    const late = evaluateRule(rule, first.state, { readings: [rd(7, 50 * S, 30)], positions: [] }, T0 + 110 * S);
    expect(brief(late.transitions)).toEqual(['raise:H@105']);
  });

  test('the state passed in is never modified, and the result is plain JSON that parses back', () => {
    const a = evaluateRule(rule, undefined, { readings: [rd(7, 0, 30)], positions: [] }, T0 + S);
    const frozen = JSON.stringify(a.state);
    const b = evaluateRule(rule, a.state, { readings: [rd(7, 2 * S, 0)], positions: [] }, T0 + 10 * S);
    expect(JSON.stringify(a.state)).toBe(frozen);
    const roundTrip = JSON.parse(JSON.stringify(b.state));
    expect(RuleStateSchema.parse(roundTrip)).toEqual(b.state);
  });

  test('a disabled rule decides nothing but keeps its facts', () => {
    const off = ruleOf({ ...rule, enabled: false });
    const res = evaluateRule(off, undefined, { readings: [rd(7, 0, 99)], positions: [] }, T0 + 60 * S);
    expect(res.transitions).toEqual([]);
    expect(res.state.memory).toMatchObject({ kind: 'threshold', good: { v: 99 } });
    expect(res.nextDueAt).toBeNull();
    // Enabled as version 2 at 70 s: it knows the last value (99) and raises after its 5 s on-delay.
    const on = runSteps(ruleOf({ ...rule, version: 2 }), [{ now: 70 * S }, { now: 80 * S }], res.state);
    expect(brief(on.transitions)).toEqual(['raise:H@75']);
  });

  test('the outcome does not depend on how inputs are split into jobs or how often ticks come', () => {
    const readings = [rd(7, 0, 30), rd(7, 3 * S, 31), rd(7, 7 * S, 0), rd(7, 9 * S, 40), rd(7, 20 * S, 10)];
    const oneJob = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 30 * S).transitions;
    const split = runSteps(rule, [
      { readings: readings.slice(0, 2), now: 3 * S },
      { now: 4 * S },
      { now: 6 * S },
      { readings: readings.slice(2, 4), now: 9 * S },
      { now: 14 * S },
      { readings: readings.slice(4), now: 30 * S },
    ]).transitions;
    expect(split).toEqual(oneJob);
    expect(brief(oneJob)).toEqual(['raise:H@5', 'clear:-@7', 'raise:H@14', 'clear:-@20']);
  });

  test('transitions satisfy the contract, even with the longest ids and level names', () => {
    const long = ruleOf({
      kind: 'vehicle',
      id: 'r'.repeat(64),
      version: 999_999,
      hazardSourceId: null,
      vehicleId: null,
      check: { type: 'overspeed', durationMs: 0, level: { name: 'L'.repeat(32), colour: 'red' } },
    });
    const vid = 'v'.repeat(64);
    const res = evaluateRule(
      long,
      undefined,
      {
        readings: [],
        positions: [
          { ...pos('x', 0, 120), vehicleId: vid },
          { ...pos('x', S, 10), vehicleId: vid },
        ],
      },
      T0 + S,
    );
    expect(res.transitions.map((t) => t.kind)).toEqual(['raise', 'clear']);
    for (const t of res.transitions) expect(AlarmTransitionSchema.parse(t)).toEqual(t);
  });

  test('a tick earlier than the engine time changes nothing', () => {
    const a = evaluateRule(rule, undefined, { readings: [rd(7, 10 * S, 30)], positions: [] }, T0 + 10 * S);
    const b = evaluateRule(rule, a.state, NO_INPUTS, T0);
    expect(b.transitions).toEqual([]);
    expect(b.state.clock).toBe(T0 + 10 * S);
  });
});
