import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { H, MIN, pos, ruleOf, runSteps, S, T0 } from '../test-fixtures.js';

const vehicle = (check: Record<string, unknown>, vehicleId: string | null = 'v-1') => ruleOf({ kind: 'vehicle', hazardSourceId: null, vehicleId, check });
const at = (ts: { kind: string; at: number }[], unit = S) => ts.map((t) => `${t.kind}@${(t.at - T0) / unit}`);
/** Positions every `stepMs` from `fromMs` to `toMs` inclusive. */
const drive = (fromMs: number, toMs: number, stepMs: number, speedKmh: number, lonLat: readonly [number, number] = [118.05, 36.8]) => {
  const out = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push(pos('v-1', t, speedKmh, lonLat));
  return out;
};

// A route along latitude 36.8 from lon 118.0 to 118.1; 0.001° of latitude is about 111 m.
const ROUTE: [number, number][] = [
  [118.0, 36.8],
  [118.1, 36.8],
];

describe('vehicle: overspeed', () => {
  const overspeed = vehicle({ type: 'overspeed', durationMs: 30 * S, defaultRoadClass: 'expressway' });

  test('a tanker at 85 km/h for the configured time → overspeed, and not a millisecond before', () => {
    const early = runSteps(overspeed, [{ positions: drive(0, 20 * S, S, 85), now: 20 * S }, { now: 30 * S - 1 }]);
    expect(early.transitions).toEqual([]);
    const due = runSteps(overspeed, [{ now: 30 * S }], early.state);
    expect(due.transitions.map((t) => `${t.kind}:${t.level}:${t.colour}@${(t.at - T0) / S}=${t.value}`)).toEqual(['raise:OVERSPEED:orange@30=85']);
    expect(due.transitions[0]?.vehicleId).toBe('v-1');
    expect(due.transitions[0]?.subject).toBe('vehicle:v-1');
  });

  test('slowing down before the duration ends raises nothing; back under the limit clears', () => {
    const brief = evaluateRule(overspeed, undefined, { positions: [...drive(0, 20 * S, S, 85), ...drive(21 * S, 60 * S, S, 78)], readings: [] }, T0 + 60 * S);
    expect(brief.transitions).toEqual([]);
    const long = evaluateRule(overspeed, undefined, { positions: [...drive(0, 40 * S, S, 85), ...drive(41 * S, 60 * S, S, 70)], readings: [] }, T0 + 60 * S);
    expect(at(long.transitions)).toEqual(['raise@30', 'clear@41']);
  });

  test.each([
    { where: 'on the expressway corridor', lonLat: [118.05, 36.8] as const, speed: 75, expected: [] },
    { where: 'on the expressway corridor', lonLat: [118.05, 36.8] as const, speed: 85, expected: ['raise@10'] },
    { where: 'off the corridor (other road, 60)', lonLat: [118.05, 36.81] as const, speed: 65, expected: ['raise@10'] },
    { where: 'off the corridor (other road, 60)', lonLat: [118.05, 36.81] as const, speed: 58, expected: [] },
  ])('road class by corridor: $speed km/h $where', ({ lonLat, speed, expected }) => {
    const rule = vehicle({ type: 'overspeed', durationMs: 10 * S, expressways: [{ line: ROUTE, widthM: 100 }] });
    expect(at(evaluateRule(rule, undefined, { positions: drive(0, 20 * S, S, speed, lonLat), readings: [] }, T0 + 20 * S).transitions)).toEqual(expected);
  });
});

describe('vehicle: fatigue', () => {
  const fatigue = vehicle({ type: 'fatigue', maxDrivingMs: 4 * H, minRestMs: 20 * MIN });

  test('4 h of driving with only a 10 min stop → fatigue at 4 h; a 20 min rest clears it and starts afresh', () => {
    const positions = [
      ...drive(0, 2 * H, MIN, 70),
      ...drive(2 * H + MIN, 2 * H + 10 * MIN, MIN, 0), // a short stop: not a rest
      ...drive(2 * H + 11 * MIN, 4 * H + 30 * MIN, MIN, 70),
      ...drive(4 * H + 31 * MIN, 5 * H, MIN, 0), // a 29 min stop: rest complete 20 min in
      ...drive(5 * H + MIN, 9 * H + 10 * MIN, MIN, 70), // a new period from 301 min: fatigue again at 541 min
    ];
    const res = evaluateRule(fatigue, undefined, { positions, readings: [] }, T0 + 9 * H + 10 * MIN);
    expect(at(res.transitions, MIN)).toEqual(['raise@240', 'clear@291', 'raise@541']);
  });

  test('the alarm comes on a tick when positions stop arriving mid-drive (last position holds)', () => {
    const res = runSteps(fatigue, [{ positions: drive(0, 3 * H, MIN, 70), now: 3 * H }, { now: 5 * H }]);
    expect(at(res.transitions, MIN)).toEqual(['raise@240']);
  });
});

describe('vehicle: geofence and corridor', () => {
  const zone = {
    id: 'school',
    name: 'School',
    polygon: [
      [118.04, 36.79],
      [118.06, 36.79],
      [118.06, 36.81],
      [118.04, 36.81],
      [118.04, 36.79],
    ],
  };

  test('entering and leaving a no-entry zone', () => {
    const rule = vehicle({ type: 'geofence', zones: [zone] });
    const positions = [pos('v-1', 0, 40, [118.0, 36.8]), pos('v-1', 10 * S, 40, [118.05, 36.8]), pos('v-1', 20 * S, 40, [118.1, 36.8])];
    const res = evaluateRule(rule, undefined, { positions, readings: [] }, T0 + 30 * S);
    expect(at(res.transitions)).toEqual(['raise@10', 'clear@20']);
    expect(res.transitions[0]?.message).toContain('inside no-entry zone School');
  });

  test('route deviation beyond maxDistanceM, held for the on-delay', () => {
    const rule = ruleOf({
      kind: 'vehicle',
      hazardSourceId: null,
      vehicleId: 'v-1',
      onDelayMs: 20 * S,
      check: { type: 'corridor', line: ROUTE, maxDistanceM: 500 },
    });
    const positions = [...drive(0, 10 * S, S, 50, [118.05, 36.802]), ...drive(11 * S, 60 * S, S, 50, [118.05, 36.81])];
    const res = evaluateRule(rule, undefined, { positions, readings: [] }, T0 + 60 * S);
    expect(at(res.transitions)).toEqual(['raise@31']);
    expect(res.transitions[0]?.value).toBeGreaterThan(1000);
    expect(res.transitions[0]?.value).toBeLessThan(1200);
  });
});

describe('vehicle: forbidden hours', () => {
  // Local midnight at UTC+8 on 2023-11-15 is 2023-11-14T16:00:00Z.
  const MIDNIGHT = 1_699_977_600_000 - T0;
  const rule = vehicle({ type: 'forbidden_hours', windows: [{ from: '00:00', to: '06:00' }] });

  test('a vehicle driving through midnight is flagged exactly at 00:00, cleared when it stops', () => {
    const res = runSteps(rule, [
      { positions: drive(MIDNIGHT - 10 * MIN, MIDNIGHT - MIN, MIN, 50), now: MIDNIGHT - MIN },
      { now: MIDNIGHT + 5 * MIN },
      { positions: [pos('v-1', MIDNIGHT + 30 * MIN, 0)], now: MIDNIGHT + 40 * MIN },
    ]);
    expect(res.transitions.map((t) => `${t.kind}@${(t.at - T0 - MIDNIGHT) / MIN}`)).toEqual(['raise@0', 'clear@30']);
  });

  test('the window ends at 06:00 for a vehicle still moving', () => {
    const res = runSteps(rule, [{ positions: [pos('v-1', MIDNIGHT + 5 * H, 50)], now: MIDNIGHT + 5 * H }, { now: MIDNIGHT + 7 * H }]);
    expect(res.transitions.map((t) => `${t.kind}@${(t.at - T0 - MIDNIGHT) / H}`)).toEqual(['raise@5', 'clear@6']);
  });

  test('a parked vehicle is never flagged', () => {
    const res = runSteps(rule, [{ positions: [pos('v-1', MIDNIGHT - H, 0, [118, 36.8], false)], now: MIDNIGHT + 7 * H }]);
    expect(res.transitions).toEqual([]);
  });
});

describe('vehicle: long stop and offline', () => {
  const depot = {
    id: 'depot',
    name: 'Depot',
    polygon: [
      [117.99, 36.79],
      [118.01, 36.79],
      [118.01, 36.81],
      [117.99, 36.81],
      [117.99, 36.79],
    ],
  };

  test.each([
    { where: 'on the road', lonLat: [118.05, 36.8] as const, expected: ['raise@30'] },
    { where: 'in the depot', lonLat: [118.0, 36.8] as const, expected: [] },
  ])('a 45 min stop $where', ({ lonLat, expected }) => {
    const rule = vehicle({ type: 'long_stop', maxStopMs: 30 * MIN, allowedAreas: [depot] });
    const res = runSteps(rule, [{ positions: [pos('v-1', 0, 0, lonLat)], now: 0 }, { now: 45 * MIN }]);
    expect(at(res.transitions, MIN)).toEqual(expected);
  });

  test('positioning offline, per vehicle, for every vehicle of the enterprise (null selector)', () => {
    const rule = vehicle({ type: 'offline', timeoutMs: 5 * MIN }, null);
    const res = runSteps(rule, [
      { positions: [pos('v-1', 0, 50), { ...pos('v-2', 0, 50), vehicleId: 'v-2' }], now: 0 },
      { positions: [{ ...pos('v-2', 4 * MIN, 50), vehicleId: 'v-2' }], now: 4 * MIN },
      { now: 20 * MIN },
    ]);
    expect(res.transitions.map((t) => `${t.subject} ${t.kind}@${(t.at - T0) / MIN}`)).toEqual(['vehicle:v-1 raise@5', 'vehicle:v-2 raise@9']);
    expect(res.transitions.map((t) => t.vehicleId)).toEqual(['v-1', 'v-2']);
  });

  test('a selected vehicle that never reports is offline from the rule start', () => {
    const res = runSteps(vehicle({ type: 'offline', timeoutMs: 5 * MIN }), [{ now: 0 }, { now: 10 * MIN }]);
    expect(at(res.transitions, MIN)).toEqual(['raise@5']);
  });

  test('positions of other vehicles are ignored by a rule for one vehicle', () => {
    const res = evaluateRule(
      vehicle({ type: 'overspeed', durationMs: 0 }),
      undefined,
      { positions: [{ ...pos('v-2', 0, 120), vehicleId: 'v-2' }], readings: [] },
      T0 + S,
    );
    expect(res.transitions).toEqual([]);
  });
});
