import { type AlarmTransition, type RuleDocument, RuleDocumentSchema } from '@hazardwatch/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluateRule } from '../evaluate-rule.js';
import { RuleStateSchema } from '../state.js';
import { BASE, H, MIN, rd, ruleOf, runSteps, T0 } from '../test-fixtures.js';

const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;
/** Displacement grades blue ≥ 2, yellow ≥ 3, orange ≥ 4, red ≥ 5 (mm): a reading's value is its grade. */
const GRADES = { blue: 2, yellow: 3, orange: 4, red: 5 };
const COLOUR_OF = [null, null, 'blue', 'yellow', 'orange', 'red'] as const;
const RANK: Record<string, number> = { blue: 1, yellow: 2, orange: 3, red: 4 };

/** A dam of five single-point displacement items `a`…`e` on points 1…5. */
const dam = (extra: Record<string, unknown> = {}) =>
  ruleOf({
    kind: 'tailings_dam',
    items: KEYS.map((key, i) => ({ key, pointIds: [i + 1], item: { measure: 'displacement', grades: GRADES } })),
    ...extra,
  });
/** One reading per item at `atMs`: item i at `values[i]`. */
const levels = (values: readonly number[], atMs = 0) => values.map((v, i) => rd(i + 1, atMs, v));
const isDam = (t: AlarmTransition) => t.subject === 'rule:r-1';
/** `subject kind colour@minutes` for a compact expectation. */
const brief = (ts: readonly AlarmTransition[], unit = MIN) =>
  ts.map((t) => `${t.subject.replace('rule:r-1', '') || 'dam'} ${t.kind}:${t.colour ?? '-'}@${(t.at - T0) / unit}`);

describe('tailings_dam: item-count policy (GB 39496-2020 §5.5.4)', () => {
  test.each([
    { name: 'no item graded: no dam alarm', values: [1, 1, 1, 1, 1], expected: null },
    { name: 'one blue item: the dam is blue (never below its worst item)', values: [2, 1, 1, 1, 1], expected: 'blue' },
    { name: '3 items at blue stay blue', values: [2, 2, 2, 1, 1], expected: 'blue' },
    { name: '4 items at blue make the dam yellow', values: [2, 2, 2, 2, 1], expected: 'yellow' },
    { name: '2 items at yellow stay yellow', values: [3, 3, 1, 1, 1], expected: 'yellow' },
    { name: '3 items at yellow make it orange', values: [3, 3, 3, 1, 1], expected: 'orange' },
    { name: '1 item at orange stays orange', values: [4, 1, 1, 1, 1], expected: 'orange' },
    { name: '2 items at orange make it red', values: [4, 4, 1, 1, 1], expected: 'red' },
    { name: 'a worse item counts toward a lower step', values: [2, 2, 2, 3, 1], expected: 'yellow' },
    { name: 'orange items count as yellow ones', values: [4, 3, 3, 1, 1], expected: 'orange' },
    { name: 'steps are one each, not chained: 5 blue are yellow, not orange', values: [2, 2, 2, 2, 2], expected: 'yellow' },
    { name: 'one red item', values: [5, 1, 1, 1, 1], expected: 'red' },
  ])('default policy: $name', ({ values, expected }) => {
    const res = evaluateRule(dam(), undefined, { readings: levels(values), positions: [] }, T0 + MIN);
    expect(res.transitions.filter(isDam).map((t) => t.colour)).toEqual(expected === null ? [] : [expected]);
    // Every item alarm is its own subject, at the item's own grade.
    const items = res.transitions.filter((t) => !isDam(t));
    expect(items.map((t) => [t.subject, t.colour])).toEqual(values.flatMap((v, i) => (COLOUR_OF[v] ? [[`rule:r-1:${KEYS[i]}`, COLOUR_OF[v]]] : [])));
  });

  test.each([
    { name: 'blue: 2 → two blue items are yellow', escalation: { blue: 2, yellow: 3, orange: 2 }, values: [2, 2, 1, 1, 1], expected: 'yellow' },
    { name: 'blue: null disables the first step', escalation: { blue: null, yellow: 3, orange: 2 }, values: [2, 2, 2, 2, 2], expected: 'blue' },
    { name: 'yellow: null disables the second step', escalation: { blue: 4, yellow: null, orange: 2 }, values: [3, 3, 3, 3, 1], expected: 'yellow' },
    { name: 'orange: null disables the third step', escalation: { blue: 4, yellow: 3, orange: null }, values: [4, 4, 1, 1, 1], expected: 'orange' },
    { name: 'orange: 3 needs three orange items', escalation: { blue: 4, yellow: 3, orange: 3 }, values: [4, 4, 4, 1, 1], expected: 'red' },
    { name: 'every step disabled: the worst item', escalation: { blue: null, yellow: null, orange: null }, values: [4, 4, 3, 3, 3], expected: 'orange' },
  ])('the counts are a policy: $name', ({ escalation, values, expected }) => {
    const res = evaluateRule(dam({ escalation }), undefined, { readings: levels(values), positions: [] }, T0 + MIN);
    expect(res.transitions.filter(isDam).map((t) => t.colour)).toEqual([expected]);
  });

  test.each([
    { name: 'item policy on: item a (4 blue points) is yellow, so is the dam', itemEscalation: { blue: 4, yellow: 3, orange: 2 }, a: 'yellow', dam: 'yellow' },
    {
      name: 'item policy off: item a is blue; 5 blue points but 2 blue items: the dam is blue',
      itemEscalation: { blue: null, yellow: null, orange: null },
      a: 'blue',
      dam: 'blue',
    },
  ])('the item policy counts points, the dam policy counts items: $name', ({ itemEscalation, a, dam: expected }) => {
    const rule = ruleOf({
      kind: 'tailings_dam',
      items: [
        { key: 'a', pointIds: [1, 2, 3, 4], item: { measure: 'displacement', grades: GRADES }, escalation: itemEscalation },
        { key: 'b', pointIds: [5], item: { measure: 'displacement', grades: GRADES } },
      ],
    });
    const res = evaluateRule(rule, undefined, { readings: [1, 2, 3, 4, 5].map((id) => rd(id, 0, 2)), positions: [] }, T0);
    expect(brief(res.transitions)).toEqual([`:a raise:${a}@0`, ':b raise:blue@0', `dam raise:${expected}@0`]);
    expect(res.transitions.find(isDam)?.message).toBe(
      `test rule: ${expected} (${expected}) raised; dam ${expected}; items ${a === 'yellow' ? 'yellow a; blue b' : 'blue a, b'}; 0 normal`,
    );
    if (a === 'yellow')
      expect(res.transitions[0]?.message).toBe(
        'test rule: yellow (yellow) raised; a: displacement: worst point 1 = 2 (blue); points 4 blue, 0 yellow, 0 orange, 0 red; escalated: 4 points at blue or worse → yellow',
      );
  });

  test('rises, falls and clears with its items; item and dam transitions both emitted, with deterministic ids', () => {
    const steps = [
      { readings: levels([2, 2, 2, 1, 1], 0), now: 0 }, // 3 blue: dam blue
      { readings: levels([2, 2, 2, 2, 1], MIN), now: MIN }, // 4 blue: dam yellow
      { readings: levels([3, 3, 3, 2, 1], 2 * MIN), now: 2 * MIN }, // 3 yellow: orange
      { readings: levels([4, 4, 3, 2, 1], 3 * MIN), now: 3 * MIN }, // 2 orange: red
      { readings: levels([4, 1, 1, 1, 1], 4 * MIN), now: 4 * MIN }, // items recover: orange (the worst item)
      { readings: levels([2, 2, 1, 1, 1], 5 * MIN), now: 5 * MIN },
      { readings: levels([1, 1, 1, 1, 1], 6 * MIN), now: 6 * MIN }, // all quiet: cleared
    ];
    const { transitions, state } = runSteps(dam(), steps);
    expect(brief(transitions.filter(isDam))).toEqual([
      'dam raise:blue@0',
      'dam level:yellow@1',
      'dam level:orange@2',
      'dam level:red@3',
      'dam level:orange@4',
      'dam level:blue@5',
      'dam clear:-@6',
    ]);
    expect(transitions.filter(isDam).map((t) => t.id)).toEqual([
      `r-1:1:rule:r-1:0:raise:${T0}`,
      `r-1:1:rule:r-1:1:level:${T0 + MIN}`,
      `r-1:1:rule:r-1:2:level:${T0 + 2 * MIN}`,
      `r-1:1:rule:r-1:3:level:${T0 + 3 * MIN}`,
      `r-1:1:rule:r-1:4:level:${T0 + 4 * MIN}`,
      `r-1:1:rule:r-1:5:level:${T0 + 5 * MIN}`,
      `r-1:1:rule:r-1:6:clear:${T0 + 6 * MIN}`,
    ]);
    expect(transitions.filter((t) => t.subject === 'rule:r-1:a').map((t) => t.id)).toEqual([
      `r-1:1:rule:r-1:a:0:raise:${T0}`,
      `r-1:1:rule:r-1:a:1:level:${T0 + 2 * MIN}`,
      `r-1:1:rule:r-1:a:2:level:${T0 + 3 * MIN}`,
      `r-1:1:rule:r-1:a:3:level:${T0 + 5 * MIN}`,
      `r-1:1:rule:r-1:a:4:clear:${T0 + 6 * MIN}`,
    ]);
    // At one instant the item transitions come first, then the dam's.
    expect(brief(transitions.filter((t) => t.at === T0 + MIN))).toEqual([':d raise:blue@1', 'dam level:yellow@1']);
    const messages = transitions.filter(isDam).map((t) => t.message);
    expect(messages[1]).toBe('test rule: now yellow (yellow); dam yellow; 4 items at blue or worse → yellow; items blue a, b, c, d; 1 normal');
    expect(messages[3]).toContain('2 items at orange or worse → red');
    expect(messages[4]).toBe('test rule: now orange (orange); dam orange; items orange a; 4 normal');
    expect(transitions.find(isDam)?.pointIds).toEqual([1, 2, 3, 4, 5]);
    expect(transitions.find((t) => t.subject === 'rule:r-1:a')?.pointIds).toEqual([1]);
    // The state is plain JSON that round-trips through its schema.
    expect(RuleStateSchema.parse(JSON.parse(JSON.stringify(state)))).toEqual(state);
    // The same readings in one job give the same transitions and ids.
    const once = evaluateRule(dam(), undefined, { readings: steps.flatMap((s) => s.readings), positions: [] }, T0 + 6 * MIN);
    expect(once.transitions.map((t) => t.id)).toEqual(transitions.map((t) => t.id));
  });

  test('an item holding on a faulty point holds the dam: it may rise, never fall', () => {
    const { transitions } = runSteps(dam(), [
      { readings: levels([2, 2, 2, 2, 1], 0), now: 0 }, // dam yellow
      { readings: [rd(1, MIN, 0, 'fault'), ...levels([1, 1, 1, 1, 1], MIN).slice(1)], now: MIN }, // a faulty, others quiet
      { readings: [rd(2, 2 * MIN, 4), rd(3, 2 * MIN, 4)], now: 2 * MIN }, // two orange items: red, even while holding
      { readings: levels([1, 1, 1, 1, 1], 3 * MIN).slice(1), now: 3 * MIN }, // a still faulty: held at red
      { readings: [rd(1, 4 * MIN, 1)], now: 4 * MIN }, // a good again: every item quiet
    ]);
    expect(brief(transitions.filter(isDam))).toEqual(['dam raise:yellow@0', 'dam level:red@2', 'dam clear:-@4']);
  });

  test('the rule on/off delays apply to the dam alarm as to each item', () => {
    const { transitions } = runSteps(dam({ onDelayMs: 2 * MIN, offDelayMs: MIN }), [
      { readings: levels([2, 2, 2, 2, 1], 0), now: 0 },
      { readings: levels([1, 1, 1, 1, 1], 5 * MIN), now: 10 * MIN },
    ]);
    expect(brief(transitions)).toEqual([
      ':a raise:blue@2',
      ':b raise:blue@2',
      ':c raise:blue@2',
      ':d raise:blue@2',
      'dam raise:yellow@2',
      ':a clear:-@6',
      ':b clear:-@6',
      ':c clear:-@6',
      ':d clear:-@6',
      'dam clear:-@6',
    ]);
  });
});

describe('tailings_dam: a storm (worked example)', () => {
  /**
   * Points: 1 rain gauge (mm per report), 2 pond level gauge (m; read by two items: pond level
   * and freeboard against the 128 m crest), 3 dry beach (m). Hourly reports.
   */
  const storm = ruleOf({
    kind: 'tailings_dam',
    name: 'dam',
    items: [
      // GB 51108 §8.3: yellow at the rainstorm grade, 12 h ≥ 30 mm or 24 h ≥ 50 mm.
      {
        key: 'rain',
        pointIds: [1],
        item: {
          measure: 'rainfall',
          windows: [
            { windowMs: 12 * H, grades: { yellow: 30 } },
            { windowMs: 24 * H, grades: { yellow: 50 } },
          ],
        },
      },
      // Production control / pre-flood / design flood levels.
      { key: 'pond', pointIds: [2], item: { measure: 'pond_level', grades: { blue: 126.8, yellow: 127, orange: 127.4 } } },
      { key: 'freeboard', pointIds: [2], item: { measure: 'freeboard', crestElevationM: 128, grades: { yellow: 1, orange: 0.7, red: 0.5 } } },
      { key: 'beach', pointIds: [3], item: { measure: 'beach_length', grades: { blue: 90, yellow: 75, orange: 60, red: 50 } } },
    ],
  });
  //            hour  rain  pond    beach
  const script: [number, number, number, number][] = [
    [0, 0, 126.2, 120],
    [2, 10, 126.5, 100],
    [4, 10, 126.8, 88], // pond at the control level (blue), beach ≤ 90 (blue): dam blue
    [6, 12, 127.0, 80], // 32 mm in 12 h: rain yellow; pond and freeboard (1.0 m) yellow: 3 yellow items → orange
    [8, 0, 127.35, 70], // freeboard 0.65 m orange, beach yellow: still orange
    [9, 0, 127.45, 62], // pond above the design flood level (orange) with freeboard orange: 2 orange items → red
    [12, 0, 127.2, 72], // decant: every item yellow → orange (4 at yellow or worse)
    [15, 0, 126.9, 85], // 14 h: the 10 mm of 2 h leave the 12 h window, rain clears; 15 h: pond and beach blue → blue
    [20, 0, 126.5, 100], // all clear
  ];
  const readings = script.flatMap(([h, rain, pond, beach]) => [rd(1, h * H, rain), rd(2, h * H, pond), rd(3, h * H, beach)]);

  test('the dam level follows its items hour by hour', () => {
    const res = evaluateRule(storm, undefined, { readings, positions: [] }, T0 + 24 * H);
    expect(brief(res.transitions, H)).toEqual([
      ':pond raise:blue@4',
      ':beach raise:blue@4',
      'dam raise:blue@4',
      ':rain raise:yellow@6',
      ':pond level:yellow@6',
      ':freeboard raise:yellow@6',
      'dam level:orange@6',
      ':freeboard level:orange@8',
      ':beach level:yellow@8',
      ':pond level:orange@9',
      'dam level:red@9',
      ':pond level:yellow@12',
      ':freeboard level:yellow@12',
      'dam level:orange@12',
      ':rain clear:-@14',
      ':pond level:blue@15',
      ':freeboard clear:-@15',
      ':beach level:blue@15',
      'dam level:blue@15',
      ':pond clear:-@20',
      ':beach clear:-@20',
      'dam clear:-@20',
    ]);
    const damMsgs = res.transitions.filter(isDam).map((t) => t.message);
    expect(damMsgs[1]).toBe(
      'dam: now orange (orange); dam orange; 3 items at yellow or worse → orange; items yellow rain, pond, freeboard; blue beach; 0 normal',
    );
    expect(damMsgs[2]).toBe('dam: now red (red); dam red; 2 items at orange or worse → red; items orange pond, freeboard; yellow rain, beach; 0 normal');
    expect(res.transitions.find((t) => t.subject === 'rule:r-1:freeboard' && t.colour === 'orange')?.value).toBeCloseTo(0.65, 9);
    expect(res.transitions.every((t) => t.category === 'dam')).toBe(true);
    expect(res.transitions.find(isDam)?.pointIds).toEqual([1, 2, 3]);
  });

  test('hourly jobs with ticks give the same transitions as one job', () => {
    const once = evaluateRule(storm, undefined, { readings, positions: [] }, T0 + 24 * H);
    const steps = [...script.map(([h]) => ({ readings: readings.filter((r) => r.ts === T0 + h * H), now: h * H + MIN })), { readings: [], now: 24 * H }];
    expect(runSteps(storm, steps).transitions.map((t) => t.id)).toEqual(once.transitions.map((t) => t.id));
  });
});

describe('tailings_dam: properties', () => {
  const policyArb = fc.record({
    blue: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
    yellow: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
    orange: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
  });
  const vectorArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 5, maxLength: 5 });
  const damColour = (rule: RuleDocument, values: readonly number[]) =>
    evaluateRule(rule, undefined, { readings: levels(values), positions: [] }, T0).transitions.find(isDam)?.colour ?? null;
  const rankOf = (c: string | null) => (c === null ? 0 : (RANK[c] ?? -1));

  test('the open dam alarm is never below the worst open item alarm, through any sequence', () => {
    fc.assert(
      fc.property(policyArb, fc.array(vectorArb, { minLength: 1, maxLength: 12 }), (escalation, vectors) => {
        const rule = dam({ escalation });
        let state: ReturnType<typeof evaluateRule>['state'] | undefined;
        vectors.forEach((values, k) => {
          state = evaluateRule(rule, state, { readings: levels(values, k * MIN), positions: [] }, T0 + k * MIN).state;
          const open = (s: string) => rankOf(state?.subjects[s]?.open?.colour ?? null);
          const worstItem = Math.max(...KEYS.map((key) => open(`rule:r-1:${key}`)));
          expect(open('rule:r-1')).toBeGreaterThanOrEqual(worstItem);
        });
      }),
      { numRuns: 200 },
    );
  });

  test('the dam level is monotone in the item levels', () => {
    fc.assert(
      fc.property(policyArb, vectorArb, vectorArb, (escalation, a, b) => {
        const rule = dam({ escalation });
        const lo = a.map((v, i) => Math.min(v, b[i] ?? 0));
        expect(rankOf(damColour(rule, lo))).toBeLessThanOrEqual(rankOf(damColour(rule, a)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('tailings_dam: document and versions', () => {
  const item = { key: 'a', pointIds: [1], item: { measure: 'displacement', grades: GRADES } };
  test.each([
    { name: 'no hazard source', doc: { hazardSourceId: null, items: [item] }, reason: 'hazardSourceId: a tailings_dam rule is about one dam' },
    { name: 'repeated item key', doc: { items: [item, item] }, reason: 'items: item keys must not repeat' },
    { name: 'item key with a colon', doc: { items: [{ ...item, key: 'a:b' }] }, reason: 'items.0.key: item key must be 1-24 characters' },
    { name: 'no items', doc: { items: [] }, reason: 'items: list at least one monitoring item' },
    {
      name: 'item grades out of order',
      doc: { items: [{ ...item, item: { measure: 'beach_length', grades: { red: 80, orange: 70 } } }] },
      reason: 'items.0.item.grades.red: red (80) must be below orange (70)',
    },
    { name: 'escalation count 1', doc: { items: [item], escalation: { blue: 1 } }, reason: 'escalation.blue' },
  ])('refuses $name with a reason', ({ doc, reason }) => {
    const r = RuleDocumentSchema.safeParse({ ...BASE, kind: 'tailings_dam', ...doc });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toContain(reason);
  });

  test('defaults: category dam, policy 4 / 3 / 2 for the dam and for each item', () => {
    const rule = ruleOf({ kind: 'tailings_dam', items: [item] });
    expect(rule).toMatchObject({
      category: 'dam',
      escalation: { blue: 4, yellow: 3, orange: 2 },
      items: [{ deadband: 0, escalation: { blue: 4, yellow: 3, orange: 2 } }],
    });
  });

  test('a single-item tailings rule becoming a dam rule keeps its alarm as the dam alarm and its readings in the item', () => {
    const v1 = ruleOf({ kind: 'tailings', pointIds: [1, 2], item: { measure: 'displacement', grades: GRADES } });
    const r1 = evaluateRule(v1, undefined, { readings: [rd(1, 0, 3), rd(2, 0, 2)], positions: [] }, T0);
    expect(brief(r1.transitions)).toEqual(['dam raise:yellow@0']);
    const v2 = ruleOf({
      kind: 'tailings_dam',
      version: 2,
      items: [
        { key: 'gnss', pointIds: [1, 2], item: { measure: 'displacement', grades: GRADES } },
        { key: 'beach', pointIds: [3], item: { measure: 'beach_length', grades: { red: 50 } } },
      ],
    });
    // Point 3 has not reported: the dam holds, so its yellow stays; the item takes the carried readings.
    const r2 = evaluateRule(v2, r1.state, { readings: [], positions: [] }, T0 + MIN);
    expect(brief(r2.transitions)).toEqual([':gnss raise:yellow@1']);
    expect(r2.state.subjects['rule:r-1']?.open).toMatchObject({ level: 'yellow' });
    const r3 = evaluateRule(v2, r2.state, { readings: [rd(1, 2 * MIN, 1), rd(3, 2 * MIN, 100)], positions: [] }, T0 + 2 * MIN);
    expect(brief(r3.transitions)).toEqual([':gnss level:blue@2', 'dam level:blue@2']);
  });

  test('a stored single-item tailings state of the earlier layout still parses and evaluates', () => {
    const stored = {
      layout: 1,
      ruleId: 'r-1',
      ruleVersion: 1,
      kind: 'tailings',
      startedAt: T0,
      clock: T0,
      subjects: {
        'rule:r-1': {
          seq: 1,
          levels: { blue: { raw: true, since: T0, confirmed: true } },
          open: { level: 'blue', colour: 'blue', since: T0, latched: false },
          value: 2,
          hold: false,
        },
      },
      memory: { kind: 'tailings', measure: 'displacement', last: { '1': { t: T0, v: 2, q: 'good' } }, samples: {}, counter: {}, grade: { '1': 'blue' } },
    };
    const state = RuleStateSchema.parse(stored);
    const rule = ruleOf({ kind: 'tailings', pointIds: [1], item: { measure: 'displacement', grades: GRADES } });
    const res = evaluateRule(rule, state, { readings: [rd(1, MIN, 1)], positions: [] }, T0 + MIN);
    expect(res.transitions.map((t) => t.id)).toEqual([`r-1:1:rule:r-1:1:clear:${T0 + MIN}`]);
  });
});
