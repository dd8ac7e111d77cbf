import type { Alarm, AlarmState, Colour } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { currentEscalation, escalationEventId, escalationLadder, nextEscalation } from './escalation.js';
import { DEFAULT_ESCALATION_POLICY, type EscalationPolicy, EscalationPolicySchema, resolveEscalation } from './escalation-policy.js';

const MIN = 60_000;
const S = 1_700_000_000_000;

function alarm(colour: Colour, state: AlarmState = 'active_unacknowledged', over: Partial<Alarm> = {}): Alarm {
  return {
    id: 'a1',
    ruleId: 'r1',
    subject: 'point:1',
    enterpriseId: 'e1',
    hazardSourceId: 'hs1',
    vehicleId: null,
    category: 'process',
    state,
    conditionActive: state.startsWith('active'),
    latching: state === 'latched',
    colour,
    level: 'H',
    value: 1,
    message: 'm',
    raisedAt: S - 60 * MIN,
    acknowledgedAt: null,
    acknowledgedBy: null,
    unacknowledgedSince: S,
    clearedAt: null,
    shelvedUntil: null,
    version: 1,
    ...over,
  };
}

const brief = (s: ReturnType<typeof nextEscalation>) => (s === null ? null : `${s.kind} ${s.tier} @${(s.dueAt - S) / MIN}m [${s.key}]`);

describe('escalation policy', () => {
  const policy: EscalationPolicy = EscalationPolicySchema.parse({
    regions: [
      { regionPrefix: '37', source: 'example provincial notice', colours: { orange: { escalateAfterMs: 10 * MIN }, red: { highestTier: 'city' } } },
      { regionPrefix: '3703', colours: { orange: { reminderEveryMs: 5 * MIN } } },
      { regionPrefix: '370321', colours: { orange: { escalateAfterMs: 20 * MIN } } },
      { regionPrefix: '3704', colours: { orange: { escalateAfterMs: 2 * MIN, reminderEveryMs: MIN, highestTier: 'county' } } },
    ],
  });

  it.each([
    { region: '440300', colour: 'orange', expected: { escalateAfterMs: 15 * MIN, reminderEveryMs: 15 * MIN, highestTier: 'province' } },
    { region: '371000', colour: 'orange', expected: { escalateAfterMs: 10 * MIN, reminderEveryMs: 15 * MIN, highestTier: 'province' } },
    { region: '370303', colour: 'orange', expected: { escalateAfterMs: 10 * MIN, reminderEveryMs: 5 * MIN, highestTier: 'province' } },
    { region: '370321', colour: 'orange', expected: { escalateAfterMs: 20 * MIN, reminderEveryMs: 5 * MIN, highestTier: 'province' } },
    { region: '370481', colour: 'orange', expected: { escalateAfterMs: 2 * MIN, reminderEveryMs: MIN, highestTier: 'county' } },
    { region: '370321', colour: 'red', expected: { escalateAfterMs: 5 * MIN, reminderEveryMs: 5 * MIN, highestTier: 'city' } },
    { region: '370321', colour: 'blue', expected: { escalateAfterMs: 60 * MIN, reminderEveryMs: 60 * MIN, highestTier: 'enterprise' } },
  ] satisfies { region: string; colour: Colour; expected: unknown }[])('$colour in $region: longest prefix wins, field by field', ({
    region,
    colour,
    expected,
  }) => {
    expect(resolveEscalation(policy, region, colour)).toEqual(expected);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_ESCALATION_POLICY).toEqual({
      defaults: {
        red: { escalateAfterMs: 5 * MIN, reminderEveryMs: 5 * MIN, highestTier: 'province' },
        orange: { escalateAfterMs: 15 * MIN, reminderEveryMs: 15 * MIN, highestTier: 'province' },
        yellow: { escalateAfterMs: 30 * MIN, reminderEveryMs: 30 * MIN, highestTier: 'county' },
        blue: { escalateAfterMs: 60 * MIN, reminderEveryMs: 60 * MIN, highestTier: 'enterprise' },
      },
      regions: [],
    });
  });

  it.each([
    {
      name: 'a repeated prefix',
      policy: {
        regions: [
          { regionPrefix: '37', colours: {} },
          { regionPrefix: '37', colours: {} },
        ],
      },
    },
    { name: 'a 3-digit prefix', policy: { regions: [{ regionPrefix: '370', colours: {} }] } },
    { name: 'a zero time', policy: { regions: [{ regionPrefix: '37', colours: { red: { escalateAfterMs: 0 } } }] } },
    { name: 'an unknown tier', policy: { regions: [{ regionPrefix: '37', colours: { red: { highestTier: 'nation' } } }] } },
    { name: 'an unknown colour', policy: { regions: [{ regionPrefix: '37', colours: { purple: {} } }] } },
  ])('refuses $name', ({ policy: p }) => {
    expect(EscalationPolicySchema.safeParse(p).success).toBe(false);
  });

  it('refuses a region code that is not 6 digits', () => {
    expect(() => resolveEscalation(DEFAULT_ESCALATION_POLICY, '3703', 'red')).toThrow(expect.objectContaining({ code: 'HW_DISPATCH_BAD_REGION_CODE' }));
  });
});

describe('escalationLadder', () => {
  it.each([
    { top: 'province', inPark: false, ladder: ['county', 'city', 'province'] },
    { top: 'province', inPark: true, ladder: ['park', 'county', 'city', 'province'] },
    { top: 'county', inPark: true, ladder: ['park', 'county'] },
    { top: 'park', inPark: false, ladder: [] },
    { top: 'enterprise', inPark: true, ladder: [] },
  ] as const)('up to $top (park: $inPark)', ({ top, inPark, ladder }) => {
    expect(escalationLadder(top, { inPark })).toEqual(ladder);
  });
});

describe('nextEscalation and currentEscalation', () => {
  const P = DEFAULT_ESCALATION_POLICY;
  const R = '370321';

  it.each([
    // orange: every 15 min up to the province, reminders every 15 min (they coincide: escalations win)
    { colour: 'orange', at: -5, next: 'escalation county @15m [1.0]', current: null },
    { colour: 'orange', at: 0, next: 'escalation county @15m [1.0]', current: null },
    { colour: 'orange', at: 14.99, next: 'escalation county @15m [1.0]', current: null },
    { colour: 'orange', at: 15, next: 'escalation city @30m [2.0]', current: 'escalation county @15m [1.0]' },
    { colour: 'orange', at: 44, next: 'escalation province @45m [3.0]', current: 'escalation city @30m [2.0]' },
    { colour: 'orange', at: 45, next: 'reminder province @60m [3.1]', current: 'escalation province @45m [3.0]' },
    { colour: 'orange', at: 61, next: 'reminder province @75m [3.2]', current: 'reminder province @60m [3.1]' },
    { colour: 'orange', at: 600, next: 'reminder province @615m [3.38]', current: 'reminder province @600m [3.37]' },
    // red: every 5 min
    { colour: 'red', at: 0, next: 'escalation county @5m [1.0]', current: null },
    { colour: 'red', at: 12, next: 'escalation province @15m [3.0]', current: 'escalation city @10m [2.0]' },
    // yellow: up to the county only, then reminders to it
    { colour: 'yellow', at: 30, next: 'reminder county @60m [1.1]', current: 'escalation county @30m [1.0]' },
    { colour: 'yellow', at: 95, next: 'reminder county @120m [1.3]', current: 'reminder county @90m [1.2]' },
    // blue: never leaves the enterprise, hourly reminders
    { colour: 'blue', at: 0, next: 'reminder enterprise @60m [0.1]', current: null },
    { colour: 'blue', at: 130, next: 'reminder enterprise @180m [0.3]', current: 'reminder enterprise @120m [0.2]' },
  ] satisfies { colour: Colour; at: number; next: string | null; current: string | null }[])('$colour at +$at min', ({ colour, at, next, current }) => {
    const a = alarm(colour);
    expect(brief(nextEscalation(a, P, R, S + at * MIN))).toBe(next);
    expect(brief(currentEscalation(a, P, R, S + at * MIN))).toBe(current);
  });

  it('interleaves reminders between escalations when they are more frequent', () => {
    const p = EscalationPolicySchema.parse({
      regions: [{ regionPrefix: '37', colours: { orange: { escalateAfterMs: 30 * MIN, reminderEveryMs: 10 * MIN } } }],
    });
    const seen: string[] = [];
    let now = S;
    for (let i = 0; i < 12; i++) {
      const s = nextEscalation(alarm('orange'), p, R, now, { inPark: true });
      if (s === null) break;
      seen.push(brief(s) ?? '');
      now = s.dueAt;
    }
    expect(seen).toEqual([
      'reminder enterprise @10m [0.1]',
      'reminder enterprise @20m [0.2]',
      'escalation park @30m [1.0]',
      'reminder park @40m [1.1]',
      'reminder park @50m [1.2]',
      'escalation county @60m [2.0]',
      'reminder county @70m [2.1]',
      'reminder county @80m [2.2]',
      'escalation city @90m [3.0]',
      'reminder city @100m [3.1]',
      'reminder city @110m [3.2]',
      'escalation province @120m [4.0]',
    ]);
  });

  it('lists every tier told so far, for a dispatcher that missed steps', () => {
    const s = currentEscalation(alarm('red'), P, R, S + 21 * MIN, { inPark: true });
    expect(s).toMatchObject({ tier: 'province', tiers: ['enterprise', 'park', 'county', 'city', 'province'], stage: 4 });
  });

  it.each([
    { name: 'acknowledged', a: alarm('red', 'active_acknowledged', { acknowledgedAt: S, unacknowledgedSince: null }) },
    { name: 'acknowledged latch', a: alarm('red', 'latched', { acknowledgedAt: S, unacknowledgedSince: null }) },
    { name: 'shelved', a: alarm('red', 'shelved', { shelvedUntil: S + 60 * MIN, unacknowledgedSince: null }) },
    { name: 'suppressed', a: alarm('red', 'suppressed', { unacknowledgedSince: null }) },
    { name: 'out of service', a: alarm('red', 'out_of_service', { unacknowledgedSince: null }) },
    { name: 'closed', a: alarm('red', 'normal', { unacknowledgedSince: null }) },
  ])('stops once $name', ({ a }) => {
    expect(nextEscalation(a, P, R, S + 30 * MIN)).toBeNull();
    expect(currentEscalation(a, P, R, S + 30 * MIN)).toBeNull();
  });

  it.each([
    { name: 'returned to normal, unacknowledged', a: alarm('red', 'rtn_unacknowledged') },
    { name: 'latched, unacknowledged', a: alarm('red', 'latched') },
  ])('keeps escalating when $name', ({ a }) => {
    expect(brief(nextEscalation(a, P, R, S))).toBe('escalation county @5m [1.0]');
  });

  it('counts from unacknowledgedSince, not from the raise', () => {
    const a = alarm('orange', 'active_unacknowledged', { raisedAt: S - 300 * MIN, unacknowledgedSince: S });
    expect(currentEscalation(a, P, R, S + MIN)).toBeNull();
  });

  it('gives deterministic event ids per episode', () => {
    const a = alarm('red');
    const s = currentEscalation(a, P, R, S + 5 * MIN);
    expect(s && escalationEventId(a, s)).toBe(`a1:escalation:${S}:1.0`);
  });
});
