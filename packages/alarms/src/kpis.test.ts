import type { AlarmState, Colour } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { byEnterprise, computeAlarmKpis, computeAlarmKpisBy, DEFAULT_KPI_OPTIONS, type KpiEvent, KpiOptionsSchema } from './kpis.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const F = 1_699_920_000_000;
const DAY = { from: F, to: F + 24 * H };

/** Events of one alarm, written as its state machine would emit them. */
function alarm(alarmId: string, ruleId: string, subject: string, colour: Colour, enterpriseId = 'e1') {
  return (type: KpiEvent['type'], at: number, stateAfter: AlarmState): KpiEvent => ({ alarmId, ruleId, subject, colour, enterpriseId, type, at, stateAfter });
}
const AU = 'active_unacknowledged';
const AA = 'active_acknowledged';
const RU = 'rtn_unacknowledged';

/**
 * A crafted day with known answers, worked out by hand:
 * - a flood: 12 blue alarms f01…f12 every 30 s from 02:00:00. The sliding count
 *   passes 10 with the 11th (02:05:00): the flood starts. Alarm k leaves the window
 *   at 02:10:00 + 30k s; after the 8th leaves (02:13:30) 4 remain, below 5: the flood
 *   ends. 8 min 30 s = 510 s of 86,400 s = 0.590 % in flood. f01…f10 are acknowledged
 *   at 02:20:00 (1200 s … 930 s after their raise); f11, f12 never are.
 * - a chattering alarm c1 (yellow): raised 05:00:00, 05:00:20, 05:00:50 (3 within
 *   50 s: chattering, first reached at 05:00:50) and 05:02:00; acknowledged 05:03:00,
 *   180 s after its first raise.
 * - a near miss n1 (orange): raised 06:00:00, 06:00:40, 06:01:00: the 1st and 3rd are
 *   a full minute apart, so never 3 within 1 min. Acknowledged 06:01:30 (90 s).
 * - s1: raised 30 h before the window, acknowledged, never cleared: stale (54 h at the end).
 * - s2 (red): raised 01:00:00, acknowledged a minute later (60 s), active 23 h at the end: not stale.
 * - s3: raised 2 h before the window and shelved 1 h before it: stale (26 h), state shelved.
 * - s4: raised 48 h before, cleared 47 h before: not stale.
 * - h1: raised into out of service at 08:00: an activation, not an annunciation.
 */
function craftedDay(): KpiEvent[] {
  const events: KpiEvent[] = [];
  for (let k = 0; k < 12; k++) {
    const f = alarm(`f${k + 1}`, 'r-flood', `point:f${String(k + 1).padStart(2, '0')}`, 'blue');
    events.push(f('raised', F + 2 * H + k * 30 * S, AU));
    if (k < 10) events.push(f('acknowledged', F + 2 * H + 20 * MIN, AA));
  }
  const c1 = alarm('c1', 'r-chat', 'point:7', 'yellow');
  events.push(
    c1('raised', F + 5 * H, AU),
    c1('returned_to_normal', F + 5 * H + 10 * S, RU),
    c1('raised', F + 5 * H + 20 * S, AU),
    c1('returned_to_normal', F + 5 * H + 30 * S, RU),
    c1('raised', F + 5 * H + 50 * S, AU),
    c1('returned_to_normal', F + 5 * H + 60 * S, RU),
    c1('raised', F + 5 * H + 120 * S, AU),
    c1('acknowledged', F + 5 * H + 180 * S, AA),
    c1('returned_to_normal', F + 5 * H + 240 * S, 'normal'),
  );
  const n1 = alarm('n1', 'r-near', 'point:8', 'orange');
  events.push(
    n1('raised', F + 6 * H, AU),
    n1('returned_to_normal', F + 6 * H + 20 * S, RU),
    n1('raised', F + 6 * H + 40 * S, AU),
    n1('returned_to_normal', F + 6 * H + 50 * S, RU),
    n1('raised', F + 6 * H + 60 * S, AU),
    n1('acknowledged', F + 6 * H + 90 * S, AA),
    n1('returned_to_normal', F + 6 * H + 120 * S, 'normal'),
  );
  const s1 = alarm('s1', 'r-s1', 'point:s1', 'orange');
  events.push(s1('raised', F - 30 * H, AU), s1('acknowledged', F - 29 * H, AA));
  const s2 = alarm('s2', 'r-s2', 'point:s2', 'red');
  events.push(s2('raised', F + H, AU), s2('acknowledged', F + H + MIN, AA));
  const s3 = alarm('s3', 'r-s3', 'point:s3', 'yellow');
  events.push(s3('raised', F - 2 * H, AU), s3('shelved', F - H, 'shelved'));
  const s4 = alarm('s4', 'r-s4', 'point:s4', 'yellow');
  events.push(s4('raised', F - 48 * H, AU), s4('returned_to_normal', F - 47 * H, RU));
  const h1 = alarm('h1', 'r-h1', 'point:h1', 'red');
  events.push(h1('raised', F + 8 * H, 'out_of_service'));
  // Events come from the database in any order; the KPIs must not depend on it.
  return events.reverse();
}

describe('computeAlarmKpis on a crafted day', () => {
  const k = computeAlarmKpis(craftedDay(), DAY);

  it('counts annunciations and activations', () => {
    expect(k.annunciated).toBe(20); // 12 flood + 4 chatter + 3 near miss + s2
    expect(k.activations).toBe(21); // + h1, raised while out of service
  });

  it('gives the alarm rate per 10 minutes', () => {
    expect(k.rate.averagePerWindow).toBeCloseTo(20 / 144, 10);
    expect(k.rate.peakPerWindow).toBe(12);
    expect(k.rate.peakWindowStart).toBe(F + 2 * H);
    // 02:00 (12), 05:00 (4) and 06:00 (3) are above 2 per 10 min: 3 of 144 periods.
    expect(k.rate.percentWindowsAboveMax).toBeCloseTo((3 / 144) * 100, 10);
  });

  it('finds the flood and the time spent in it', () => {
    expect(k.floods.intervals).toEqual([{ start: F + 2 * H + 5 * MIN, end: F + 2 * H + 13 * MIN + 30 * S, alarms: 2, peakPerWindow: 12, ongoing: false }]);
    expect(k.floods.percentTimeInFlood).toBeCloseTo((510 / 86_400) * 100, 10);
    expect(k.floods.withinTarget).toBe(true);
  });

  it('finds the chattering alarm and not the near miss', () => {
    expect(k.chattering).toEqual([{ ruleId: 'r-chat', subject: 'point:7', activations: 4, maxPerWindow: 3, firstAt: F + 5 * H + 50 * S }]);
  });

  it('finds the stale alarms, hidden ones included', () => {
    expect(k.stale.alarms).toEqual([
      { alarmId: 's1', ruleId: 'r-s1', subject: 'point:s1', enterpriseId: 'e1', activeSince: F - 30 * H, activeForMs: 54 * H, state: AA },
      { alarmId: 's3', ruleId: 'r-s3', subject: 'point:s3', enterpriseId: 'e1', activeSince: F - 2 * H, activeForMs: 26 * H, state: 'shelved' },
    ]);
    expect(k.stale.withinTarget).toBe(true);
  });

  it('ranks the most frequent alarms', () => {
    expect(k.topFrequent.map((f) => [f.subject, f.count, f.percent])).toEqual([
      ['point:7', 4, 20],
      ['point:8', 3, 15],
      ['point:f01', 1, 5],
      ['point:f02', 1, 5],
      ['point:f03', 1, 5],
      ['point:f04', 1, 5],
      ['point:f05', 1, 5],
      ['point:f06', 1, 5],
      ['point:f07', 1, 5],
      ['point:f08', 1, 5],
    ]);
  });

  it('gives the priority mix against the 80/15/5 target', () => {
    expect(k.priority.counts).toEqual({ urgent: 1, high: 3, medium: 4, low: 12 });
    expect(k.priority.percent).toEqual({ urgent: 5, high: 15, medium: 20, low: 60 });
    expect(k.priority.bands).toEqual([
      { band: 'urgent', priorities: ['urgent'], targetPercent: 5, actualPercent: 5 },
      { band: 'high', priorities: ['high'], targetPercent: 15, actualPercent: 15 },
      { band: 'low', priorities: ['medium', 'low'], targetPercent: 80, actualPercent: 80 },
    ]);
    expect(k.priority.unclassified).toBe(0);
  });

  it('gives acknowledgement times p50/p90', () => {
    // Samples (s): 60, 90, 180, 930, 960, …, 1200 (13). Nearest rank: p50 = 7th = 1020 s, p90 = 12th = 1170 s.
    expect(k.acknowledgement).toEqual({ samples: 13, p50Ms: 1020 * S, p90Ms: 1170 * S, pendingAtEnd: 2 });
  });
});

describe('computeAlarmKpis: floods', () => {
  const burst = (n: number, at: number, prefix = 'b') =>
    Array.from({ length: n }, (_, i) => alarm(`${prefix}${i}`, 'r', `p:${prefix}${i}`, 'blue')('raised', at, AU));
  const t0 = F + H;

  it.each([
    { name: '10 at once is not a flood (more than 10 is)', events: burst(10, t0), window: DAY, floods: [] },
    {
      name: '11 at once: a flood until they leave the window',
      events: burst(11, t0),
      window: DAY,
      floods: [{ start: t0, end: t0 + 10 * MIN, alarms: 11, peakPerWindow: 11, ongoing: false }],
    },
    {
      name: 'hysteresis: 5 in the window keep a flood going, below 5 ends it',
      events: [...burst(11, t0), ...burst(5, t0 + 10 * MIN, 'c')],
      window: DAY,
      floods: [{ start: t0, end: t0 + 20 * MIN, alarms: 16, peakPerWindow: 11, ongoing: false }],
    },
    {
      name: 'a flood still going at the end of the window',
      events: burst(11, F + 55 * MIN),
      window: { from: F, to: F + H },
      floods: [{ start: F + 55 * MIN, end: F + H, alarms: 11, peakPerWindow: 11, ongoing: true }],
    },
    {
      name: 'a flood that began before the window is clipped to it',
      events: burst(11, F - 5 * MIN),
      window: { from: F, to: F + H },
      floods: [{ start: F, end: F + 5 * MIN, alarms: 0, peakPerWindow: 11, ongoing: false }],
    },
  ])('$name', ({ events, window, floods }) => {
    expect(computeAlarmKpis(events, window).floods.intervals).toEqual(floods);
  });

  it('a flood that began before the window counts only its time inside', () => {
    const k = computeAlarmKpis(burst(11, F - 5 * MIN), { from: F, to: F + H });
    expect(k.floods.percentTimeInFlood).toBeCloseTo((5 / 60) * 100, 10);
    expect(k.floods.withinTarget).toBe(false);
    expect(k.annunciated).toBe(0);
  });

  it('honours overridden thresholds', () => {
    const k = computeAlarmKpis(burst(4, t0), DAY, { floodStartAbove: 3, floodEndBelow: 2 });
    expect(k.floods.intervals).toEqual([{ start: t0, end: t0 + 10 * MIN, alarms: 4, peakPerWindow: 4, ongoing: false }]);
  });
});

describe('computeAlarmKpis: details', () => {
  it('counts a reset as an acknowledgement and drops alarms shelved before anyone acknowledged them', () => {
    const g = alarm('g', 'r-g', 'p:g', 'red');
    const x = alarm('x', 'r-x', 'p:x', 'red');
    const k = computeAlarmKpis(
      [
        g('raised', F + MIN, AU),
        g('returned_to_normal', F + 2 * MIN, 'latched'),
        g('reset', F + 5 * MIN, 'normal'),
        x('raised', F + MIN, AU),
        x('shelved', F + 3 * MIN, 'shelved'),
      ],
      DAY,
    );
    expect(k.acknowledgement).toEqual({ samples: 1, p50Ms: 4 * MIN, p90Ms: 4 * MIN, pendingAtEnd: 0 });
  });

  it('ignores events at or after the end of the window', () => {
    const a = alarm('a', 'r', 'p', 'red');
    const k = computeAlarmKpis([a('raised', DAY.to, AU), a('raised', DAY.to - 1, AU)], DAY);
    expect(k.annunciated).toBe(1);
  });

  it('reports an empty window without dividing by zero', () => {
    const k = computeAlarmKpis([], DAY);
    expect(k.rate).toEqual({ averagePerWindow: 0, peakPerWindow: 0, peakWindowStart: null, percentWindowsAboveMax: 0 });
    expect(k.priority.percent).toEqual({ urgent: 0, high: 0, medium: 0, low: 0 });
    expect(k.acknowledgement).toEqual({ samples: 0, p50Ms: null, p90Ms: null, pendingAtEnd: 0 });
  });

  it('counts annunciations without a colour as unclassified', () => {
    const k = computeAlarmKpis([{ ...alarm('o', 'r', 'p', 'red')('raised', F, AU), colour: null }], DAY);
    expect(k.priority.unclassified).toBe(1);
  });

  it.each([
    { from: F, to: F },
    { from: F + 1, to: F },
    { from: Number.NaN, to: F },
  ])('refuses the window [$from, $to)', (w) => {
    expect(() => computeAlarmKpis([], w)).toThrow(expect.objectContaining({ code: 'HW_KPI_BAD_WINDOW' }));
  });

  it('has the domain figures as defaults and validates overrides', () => {
    expect(DEFAULT_KPI_OPTIONS).toMatchObject({
      rateWindowMs: 10 * MIN,
      acceptablePerWindow: 1,
      maxManageablePerWindow: 2,
      floodWindowMs: 10 * MIN,
      floodStartAbove: 10,
      floodEndBelow: 5,
      floodTimeTargetPercent: 1,
      chatterWindowMs: MIN,
      chatterMinActivations: 3,
      staleAfterMs: 24 * H,
      staleTargetMax: 5,
      topN: 10,
    });
    expect(KpiOptionsSchema.safeParse({ floodStartAbove: 4, floodEndBelow: 5 }).success).toBe(false);
  });
});

describe('computeAlarmKpisBy', () => {
  type Positioned = KpiEvent & { hazardSourceId: string };
  const e1 = alarm('a', 'r', 'p:1', 'red', 'e1');
  const e2 = alarm('b', 'r', 'p:2', 'blue', 'e2');
  const events: Positioned[] = [
    { ...e1('raised', F + MIN, AU), hazardSourceId: 'tank-farm' },
    { ...e1('acknowledged', F + 2 * MIN, AA), hazardSourceId: 'tank-farm' },
    { ...e2('raised', F + MIN, AU), hazardSourceId: 'unit-2' },
    { ...e2('raised', F + 3 * MIN, AU), hazardSourceId: 'unit-2' },
  ];

  it('groups per enterprise', () => {
    const by = computeAlarmKpisBy(events, byEnterprise, DAY);
    expect([...by.keys()].sort()).toEqual(['e1', 'e2']);
    expect(by.get('e1')?.annunciated).toBe(1);
    expect(by.get('e1')?.acknowledgement.p50Ms).toBe(MIN);
    expect(by.get('e2')?.annunciated).toBe(2);
  });

  it('groups per operator position and leaves out events without one', () => {
    const consoleOf: Record<string, string> = { 'tank-farm': 'console-A' };
    const by = computeAlarmKpisBy(events, (e) => consoleOf[e.hazardSourceId] ?? null, DAY);
    expect([...by.keys()]).toEqual(['console-A']);
    expect(by.get('console-A')?.annunciated).toBe(1);
  });
});
