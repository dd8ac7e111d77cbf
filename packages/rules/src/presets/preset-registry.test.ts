import type { RuleDocument, ThresholdRule } from '@hazardwatch/contracts';
import { describe, expect, test } from 'vitest';
import { RuleErrorCode } from '../errors.js';
import { evaluateRule } from '../evaluate-rule.js';
import { H, MIN, pos, rd, S, T0 } from '../test-fixtures.js';
import { instantiatePreset, listPresets } from './preset-registry.js';

const who = { ruleId: 'p-1', enterpriseId: 'ent-1', hazardSourceId: 'hs-1' };
const threshold = (doc: RuleDocument): ThresholdRule => {
  if (doc.kind !== 'threshold') throw new Error(`expected a threshold rule, got ${doc.kind}`);
  return doc;
};
const rejects = (id: string, params: unknown, reason: RegExp) =>
  expect(() => instantiatePreset(id, params)).toThrow(
    expect.objectContaining({ code: RuleErrorCode.PresetParams, details: expect.arrayContaining([expect.stringMatching(reason)]) }),
  );

/** Smallest valid parameters per preset. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  'gas-combustible': { ...who, pointId: 1 },
  'gas-toxic': { ...who, pointId: 1, exposureLimit: { basis: 'oel', oelPpm: 10 } },
  'gas-oxygen': { ...who, pointId: 1 },
  'process-pressure': { ...who, pointId: 1, rangeMin: 0, rangeMax: 10, levels: [{ name: 'H', colour: 'yellow', side: 'high', setpoint: 8 }] },
  'process-level': { ...who, pointId: 1, rangeMin: 0, rangeMax: 20, levels: [{ name: 'H', colour: 'yellow', side: 'high', setpoint: 18 }] },
  'process-temperature': { ...who, pointId: 1, rangeMin: -50, rangeMax: 150, levels: [{ name: 'H', colour: 'yellow', side: 'high', setpoint: 120 }] },
  'process-flow': { ...who, pointId: 1, rangeMin: 0, rangeMax: 400, levels: [{ name: 'L', colour: 'yellow', side: 'low', setpoint: 40 }] },
  'tailings-freeboard': { ...who, pointIds: [1], dam: { grade: 3, type: 'upstream' }, crestElevationM: 120 },
  'tailings-beach': { ...who, pointIds: [1], dam: { grade: 2, type: 'downstream' } },
  'tailings-phreatic': { ...who, pointIds: [1], designMinBurialDepthM: 4 },
  'tailings-rainfall': { ...who, pointIds: [1] },
  'tailings-displacement': { ...who, pointIds: [1], redMm: 50 },
  'tailings-displacement-rate': { ...who, pointIds: [1], windowMs: H, grades: { yellow: 5 } },
  'tailings-dam': { ...who, dam: { grade: 3, type: 'upstream' }, rainfall: { pointIds: [1] } },
  'vehicle-overspeed': { ...who, hazardSourceId: null, vehicleId: 'v-1' },
  'vehicle-fatigue': { ...who, hazardSourceId: null },
  'vehicle-forbidden-hours': { ...who, hazardSourceId: null },
  'vehicle-long-stop': { ...who, hazardSourceId: null },
  'vehicle-offline': { ...who, hazardSourceId: null },
};

describe('presets', () => {
  test('every preset is listed once, cites its source, and instantiates from minimal parameters', () => {
    const presets = listPresets();
    expect(presets.map((p) => p.id).sort()).toEqual(Object.keys(MINIMAL).sort());
    for (const p of presets) {
      expect(p.source).toMatch(/GB|ISA|JT\/T|[Pp]olicy|rules/);
      const doc = instantiatePreset(p.id, MINIMAL[p.id]);
      expect(doc.kind).toBe(p.kind);
      expect(doc.source).toBe(p.source);
    }
  });

  test('unknown preset', () => {
    expect(() => instantiatePreset('nope', {})).toThrow(expect.objectContaining({ code: RuleErrorCode.PresetUnknown }));
  });

  describe('gas (GB/T 50493-2019 §5.5)', () => {
    test('combustible: 25 / 50 %LEL, latching; setpoints above the standard are refused', () => {
      const doc = threshold(instantiatePreset('gas-combustible', MINIMAL['gas-combustible']));
      expect(doc.levels.map((l) => [l.name, l.setpoint, l.colour])).toEqual([
        ['FIRST', 25, 'orange'],
        ['SECOND', 50, 'red'],
      ]);
      expect(doc.latching).toBe(true);
      // The latch no longer hides a return to normal: a deadband keeps it from chattering.
      expect(doc.deadband).toBe(2);
      rejects('gas-combustible', { ...MINIMAL['gas-combustible'], firstLevelPctLel: 30 }, /firstLevelPctLel: GB\/T 50493-2019 §5.5 allows at most 25/);
      expect(
        threshold(instantiatePreset('gas-combustible', { ...MINIMAL['gas-combustible'], firstLevelPctLel: 20, secondLevelPctLel: 40 })).levels.map(
          (l) => l.setpoint,
        ),
      ).toEqual([20, 40]);
    });

    test.each([
      { limit: { basis: 'oel', oelPpm: 10 }, setpoints: [10, 20] },
      { limit: { basis: 'idlh', idlhPpm: 300 }, setpoints: [15, 30] },
    ])('toxic: $limit.basis → $setpoints', ({ limit, setpoints }) => {
      const doc = threshold(instantiatePreset('gas-toxic', { ...who, pointId: 1, exposureLimit: limit }));
      expect(doc.levels.map((l) => l.setpoint)).toEqual(setpoints);
      expect(doc.latching).toBe(true);
      expect(doc.deadband).toBeCloseTo(0.1 * (setpoints[0] ?? 0), 10);
    });

    test('oxygen: low 19.5, high 23.5 %VOL', () => {
      const doc = threshold(instantiatePreset('gas-oxygen', MINIMAL['gas-oxygen']));
      expect(doc.levels.map((l) => [l.side, l.setpoint])).toEqual([
        ['low', 19.5],
        ['high', 23.5],
      ]);
      const res = evaluateRule(doc, undefined, { readings: [rd(1, 0, 20.9), rd(1, S, 19.4)], positions: [] }, T0 + 2 * S);
      expect(res.transitions.map((t) => t.level)).toEqual(['LOW']);
    });
  });

  test.each([
    { id: 'process-pressure', span: 10, deadband: 0.2, onDelayMs: 15_000 },
    { id: 'process-level', span: 20, deadband: 1, onDelayMs: 60_000 },
    { id: 'process-temperature', span: 200, deadband: 2, onDelayMs: 60_000 },
    { id: 'process-flow', span: 400, deadband: 20, onDelayMs: 15_000 },
  ])('$id: ISA-18.2 starting deadband (% of span $span) and delay', ({ id, deadband, onDelayMs }) => {
    const doc = threshold(instantiatePreset(id, MINIMAL[id]));
    expect(doc.deadband).toBeCloseTo(deadband, 10);
    expect(doc.onDelayMs).toBe(onDelayMs);
    expect(doc.offDelayMs).toBe(0);
  });

  describe('tailings (GB 51108 §8.3)', () => {
    test.each([
      { id: 'tailings-freeboard', params: { dam: { grade: 1, type: 'upstream' } }, red: 1.5 },
      { id: 'tailings-freeboard', params: { dam: { grade: 3, type: 'upstream' } }, red: 0.7 },
      { id: 'tailings-freeboard', params: { dam: { grade: 3, type: 'downstream' }, redM: 0.9 }, red: 0.9 },
      { id: 'tailings-beach', params: { dam: { grade: 2, type: 'downstream' } }, red: 70 },
      { id: 'tailings-beach', params: { dam: { grade: 5, type: 'upstream' } }, red: 40 },
    ])('$id for $params.dam.type grade $params.dam.grade: red $red', ({ id, params, red }) => {
      const doc = instantiatePreset(id, { ...MINIMAL[id], ...params });
      expect(doc.kind === 'tailings' && doc.item.measure !== 'rainfall' && doc.item.grades.red).toBe(red);
    });

    test('a downstream dam has no known freeboard minimum: redM is required, and the reason says so', () => {
      rejects(
        'tailings-freeboard',
        { ...MINIMAL['tailings-freeboard'], dam: { grade: 2, type: 'downstream' } },
        /redM: no GB 50863 minimum freeboard is known here/,
      );
    });

    test('phreatic: a dam reaching orange at 1.1 × the red burial depth', () => {
      const doc = instantiatePreset('tailings-phreatic', { ...who, pointIds: [1, 2], designMinBurialDepthM: 5 });
      const readings = [rd(1, 0, 8), rd(2, 0, 8), rd(1, H, 5.6), rd(1, 2 * H, 5.5), rd(1, 3 * H, 4.9)];
      const res = evaluateRule(doc, undefined, { readings, positions: [] }, T0 + 4 * H);
      expect(res.transitions.map((t) => `${t.kind}:${t.colour}@${(t.at - T0) / H}h=${t.value}`)).toEqual(['raise:orange@2h=5.5', 'level:red@3h=4.9']);
    });

    test('rainfall: 31 mm in 12 h → yellow; 29 mm does not', () => {
      const doc = instantiatePreset('tailings-rainfall', MINIMAL['tailings-rainfall']);
      const rain = (mm: number) => Array.from({ length: 12 }, (_, i) => rd(1, (i + 1) * H, mm / 12));
      expect(evaluateRule(doc, undefined, { readings: rain(31), positions: [] }, T0 + 12 * H).transitions.map((t) => t.colour)).toEqual(['yellow']);
      expect(evaluateRule(doc, undefined, { readings: rain(29), positions: [] }, T0 + 12 * H).transitions).toEqual([]);
    });

    describe('a whole dam (GB 39496 §5.5.4)', () => {
      const whole = {
        ...who,
        dam: { grade: 3, type: 'upstream' },
        freeboard: { pointIds: [1], crestElevationM: 128, orangeM: 0.9, yellowM: 1.2 },
        beach: { pointIds: [2], orangeM: 80, yellowM: 90, blueM: 100 },
        pondLevel: { pointIds: [1], grades: { blue: 126.5, yellow: 126.8, orange: 127.1 } },
        phreatic: { pointIds: [3, 4], designMinBurialDepthM: 5, yellowM: 6, blueM: 6.5 },
        rainfall: { pointIds: [5] },
        displacement: { pointIds: [6, 7], redMm: 50, yellowMm: 20, blueMm: 10, escalation: { blue: 2, yellow: 2, orange: 2 } },
      };

      test('every item from its single-item figures, one dam policy; keys name the item alarms', () => {
        const doc = instantiatePreset('tailings-dam', whole);
        if (doc.kind !== 'tailings_dam') throw new Error(`expected a tailings_dam rule, got ${doc.kind}`);
        expect(doc.source).toMatch(/^GB 39496-2020 §5\.5\.4: .*GB 51108-2015 §8\.3$/);
        expect(doc.escalation).toEqual({ blue: 4, yellow: 3, orange: 2 });
        expect(doc.items.map((i) => i.key)).toEqual(['freeboard', 'beach', 'pond-level', 'phreatic', 'rainfall', 'displacement']);
        const grades = (key: string) => {
          const item = doc.items.find((i) => i.key === key)?.item;
          return item && item.measure !== 'rainfall' ? item.grades : null;
        };
        // Upstream grade 3: GB 50863 freeboard 0.7 m, beach 70 m [unconfirmed]; phreatic orange 1.1 × 5 m.
        expect(grades('freeboard')).toEqual({ red: 0.7, orange: 0.9, yellow: 1.2, blue: null });
        expect(grades('beach')).toEqual({ red: 70, orange: 80, yellow: 90, blue: 100 });
        expect(grades('phreatic')?.orange).toBeCloseTo(5.5, 10);
        expect(grades('displacement')).toEqual({ red: 50, orange: 40, yellow: 20, blue: 10 });
        expect(doc.items.find((i) => i.key === 'displacement')?.escalation).toEqual({ blue: 2, yellow: 2, orange: 2 });
        // The same figures as the single-item preset.
        const single = instantiatePreset('tailings-freeboard', { ...who, dam: whole.dam, ...whole.freeboard });
        expect(single.kind === 'tailings' && single.item).toEqual(doc.items[0]?.item);
      });

      test('four items at blue make the dam yellow; the dam alarm says why', () => {
        const doc = instantiatePreset('tailings-dam', { ...whole, escalation: { blue: 4, yellow: null, orange: 2 } });
        // Pond 126.6 (blue; freeboard 1.4 m none), beach 95 m (blue), phreatic 6.2 / 7 m (blue), rain none, displacement 12 / 5 mm (blue).
        const readings = [rd(1, 0, 126.6), rd(2, 0, 95), rd(3, 0, 6.2), rd(4, 0, 7), rd(5, 0, 0), rd(6, 0, 12), rd(7, 0, 5)];
        const res = evaluateRule(doc, undefined, { readings, positions: [] }, T0);
        const dam = res.transitions.filter((t) => t.subject === 'rule:p-1');
        expect(dam.map((t) => t.colour)).toEqual(['yellow']);
        expect(dam[0]?.message).toContain('4 items at blue or worse → yellow');
        expect(res.transitions.filter((t) => t.subject !== 'rule:p-1').map((t) => `${t.subject}=${t.colour}`)).toEqual([
          'rule:p-1:beach=blue',
          'rule:p-1:pond-level=blue',
          'rule:p-1:phreatic=blue',
          'rule:p-1:displacement=blue',
        ]);
      });

      test.each([
        { name: 'no item', params: { ...who, dam: { grade: 3, type: 'upstream' } }, reason: /give at least one monitoring item/ },
        { name: 'no hazard source', params: { ...whole, hazardSourceId: undefined }, reason: /^hazardSourceId: / },
        {
          name: 'a downstream freeboard without redM',
          params: { ...whole, dam: { grade: 2, type: 'downstream' } },
          reason: /^freeboard\.redM: no GB 50863 minimum freeboard is known here/,
        },
        { name: 'an unknown item', params: { ...whole, seepage: { pointIds: [9] } }, reason: /seepage/ },
      ])('refuses $name with a reason', ({ params, reason }) => {
        rejects('tailings-dam', params, reason);
      });
    });

    test('displacement: orange defaults to 80 % of red', () => {
      const doc = instantiatePreset('tailings-displacement', MINIMAL['tailings-displacement']);
      expect(doc.kind === 'tailings' && doc.item.measure === 'displacement' && [doc.item.grades.orange, doc.item.grades.red]).toEqual([40, 50]);
    });
  });

  describe('vehicles', () => {
    test('overspeed: a tanker at 85 km/h for the configured 10 s on an expressway, not before', () => {
      const doc = instantiatePreset('vehicle-overspeed', { ...MINIMAL['vehicle-overspeed'], defaultRoadClass: 'expressway' });
      const positions = Array.from({ length: 12 }, (_, i) => pos('v-1', i * S, 85));
      const early = evaluateRule(doc, undefined, { positions: positions.slice(0, 10), readings: [] }, T0 + 10 * S - 1);
      expect(early.transitions).toEqual([]);
      const due = evaluateRule(doc, undefined, { positions, readings: [] }, T0 + 11 * S);
      expect(due.transitions.map((t) => `${t.level}@${(t.at - T0) / S}`)).toEqual(['OVERSPEED@10']);
    });

    test('limits above the hazmat rules are refused; fatigue limits too', () => {
      rejects('vehicle-overspeed', { ...MINIMAL['vehicle-overspeed'], expresswayLimitKmh: 90 }, /may not exceed 80 km\/h/);
      rejects('vehicle-fatigue', { ...MINIMAL['vehicle-fatigue'], maxDrivingMs: 5 * H }, /at most 4 h/);
      rejects('vehicle-fatigue', { ...MINIMAL['vehicle-fatigue'], minRestMs: 10 * MIN }, /at least 20 min/);
    });

    test('forbidden hours default to 00:00-06:00 at UTC+8', () => {
      const doc = instantiatePreset('vehicle-forbidden-hours', MINIMAL['vehicle-forbidden-hours']);
      expect(doc.kind === 'vehicle' && doc.check.type === 'forbidden_hours' && [doc.check.windows, doc.check.utcOffsetMinutes]).toEqual([
        [{ from: '00:00', to: '06:00' }],
        480,
      ]);
    });
  });
});
