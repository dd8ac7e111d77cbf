import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { rd, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

// Three detectors (points 1-3) vote 2oo3 at ≥ 50 %LEL; the shut-off valve (point 4, 1 = open,
// 0 = closed) must close within 10 s; point 5 is the bypass switch.
const interlock = (extra: Record<string, unknown> = {}) =>
  ruleOf({
    kind: 'interlock',
    triggers: [1, 2, 3].map((pointId) => ({ pointId, cmp: 'at_least', value: 50 })),
    votesToTrip: 2,
    faultyInputVotes: 'ignore',
    action: { pointId: 4, cmp: 'equals', value: 0 },
    responseMs: 10 * S,
    bypass: { pointId: 5, cmp: 'equals', value: 1 },
    tripLevel: { name: 'TRIP', colour: 'yellow' },
    ...extra,
  });
const healthy = (at: number) => [rd(1, at, 5), rd(2, at, 5), rd(3, at, 5), rd(4, at, 1), rd(5, at, 0)];
const bySubject = (ts: { subject: string; kind: string; at: number; level: string | null }[]) =>
  ts.map((t) => `${t.subject.replace('rule:r-1:', '')} ${t.kind}${t.level ? `:${t.level}` : ''}@${(t.at - T0) / S}`);

describe('interlock', () => {
  test('one detector alone does not trip a 2oo3', () => {
    const res = evaluateRule(interlock(), undefined, { readings: [...healthy(0), rd(1, S, 80)], positions: [] }, T0 + 60 * S);
    expect(res.transitions).toEqual([]);
  });

  test('the valve closes in time: only the trip alarm', () => {
    const res = evaluateRule(
      interlock(),
      undefined,
      { readings: [...healthy(0), rd(1, S, 80), rd(2, 2 * S, 70), rd(4, 8 * S, 0)], positions: [] },
      T0 + 60 * S,
    );
    expect(bySubject(res.transitions)).toEqual(['trip raise:TRIP@2']);
  });

  test('the valve never closes: action alarm exactly at trip + response time, not before', () => {
    const rule = interlock();
    const tripped = runSteps(rule, [{ readings: [...healthy(0), rd(1, S, 80), rd(2, 2 * S, 70)], now: 12 * S - 1 }]);
    expect(bySubject(tripped.transitions)).toEqual(['trip raise:TRIP@2']);
    const late = runSteps(rule, [{ now: 30 * S }], tripped.state);
    expect(bySubject(late.transitions)).toEqual(['action raise:ACTION_FAILED@12']);
    expect(late.transitions[0]?.colour).toBe('red');
    expect(late.transitions[0]?.category).toBe('interlock');
    // Finally closing clears the action alarm; the gas going away clears the trip.
    const closed = runSteps(rule, [{ readings: [rd(4, 31 * S, 0), rd(1, 40 * S, 5)], now: 40 * S }], late.state);
    expect(bySubject(closed.transitions)).toEqual(['action clear@31', 'trip clear@40']);
  });

  test('an unknown valve position (fault) is not a closed valve', () => {
    const res = evaluateRule(
      interlock(),
      undefined,
      { readings: [...healthy(0), rd(1, S, 80), rd(2, S, 80), rd(4, 2 * S, 0, 'fault')], positions: [] },
      T0 + 20 * S,
    );
    expect(bySubject(res.transitions)).toEqual(['trip raise:TRIP@1', 'action raise:ACTION_FAILED@11']);
  });

  test('bypass active while tripped is an alarm; bypass alone is not', () => {
    const quiet = evaluateRule(interlock(), undefined, { readings: [...healthy(0), rd(5, S, 1)], positions: [] }, T0 + 60 * S);
    expect(quiet.transitions).toEqual([]);
    const res = evaluateRule(
      interlock(),
      undefined,
      { readings: [...healthy(0), rd(5, S, 1), rd(1, 2 * S, 80), rd(2, 2 * S, 80), rd(4, 3 * S, 0), rd(5, 5 * S, 0)], positions: [] },
      T0 + 60 * S,
    );
    expect(bySubject(res.transitions)).toEqual(['bypass raise:BYPASSED_ON_DEMAND@2', 'trip raise:TRIP@2', 'bypass clear@5']);
  });

  test('bypass switched on during a trip is an alarm at that moment', () => {
    const res = evaluateRule(
      interlock(),
      undefined,
      { readings: [...healthy(0), rd(1, S, 80), rd(2, S, 80), rd(4, 2 * S, 0), rd(5, 4 * S, 1)], positions: [] },
      T0 + 60 * S,
    );
    expect(bySubject(res.transitions)).toEqual(['trip raise:TRIP@1', 'bypass raise:BYPASSED_ON_DEMAND@4']);
  });

  describe('2oo3 with one faulty detector', () => {
    const oneFaulty = (at: number) => [rd(1, at, 5), rd(2, at, 5), rd(3, at, 0, 'fault'), rd(4, at, 1), rd(5, at, 0)];
    test.each([
      // ignore: the faulty one does not count, so both healthy ones must see gas (2oo2 in effect).
      { votes: 'ignore', gas: [rd(1, S, 80)], expected: [] },
      { votes: 'ignore', gas: [rd(1, S, 80), rd(2, 2 * S, 80)], expected: ['trip raise:TRIP@2', 'action raise:ACTION_FAILED@12'] },
      // trip: the faulty one votes trip, so one healthy detector seeing gas trips (1oo2 in effect).
      { votes: 'trip', gas: [rd(1, S, 80)], expected: ['trip raise:TRIP@1', 'action raise:ACTION_FAILED@11'] },
      { votes: 'trip', gas: [], expected: [] },
    ])('faulty input votes $votes, gas on $gas.length healthy detector(s)', ({ votes, gas, expected }) => {
      const res = evaluateRule(interlock({ faultyInputVotes: votes }), undefined, { readings: [...oneFaulty(0), ...gas], positions: [] }, T0 + 30 * S);
      expect(bySubject(res.transitions)).toEqual(expected);
    });
  });

  test('a stale input counts as faulty after staleAfterMs, exactly then', () => {
    const rule = interlock({ faultyInputVotes: 'trip', staleAfterMs: 5 * S });
    // Detector 3 stops reporting after 0 s; 1 and 2 keep reporting; 1 sees gas from 1 s.
    const readings = [...healthy(0), rd(1, S, 80), rd(2, S, 5), rd(4, S, 1), rd(5, S, 0), rd(1, 4 * S, 80), rd(2, 4 * S, 5), rd(4, 4 * S, 1), rd(5, 4 * S, 0)];
    const res = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + 5 * S);
    expect(bySubject(res.transitions)).toEqual(['trip raise:TRIP@5']);
  });

  test('votesToTrip above the number of triggers is refused with a clear reason', () => {
    expect(() => interlock({ votesToTrip: 4 })).toThrow(/votesToTrip \(4\) cannot exceed the number of triggers \(3\)/);
  });
});
