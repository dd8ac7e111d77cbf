import type { EnterpriseOfflineState } from '@hazardwatch/db';
import { describe, expect, it } from 'vitest';
import { type EnterpriseInterruptions, type OfflinePolicy, planOffline } from './offline-plan.js';

const T = 1_700_000_000_000;
const LIMIT = 600_000;
const ALL: OfflinePolicy = { offlineAfterMs: LIMIT, interruptedShare: 1 };
const e = (id: string, lastDataAt: number | null) => ({ enterpriseId: id, name: `Plant ${id}`, regionCode: '370321', lastDataAt });
const intr = (id: string, watched: number, since: number[]): Map<string, EnterpriseInterruptions> =>
  new Map([[id, { enterpriseId: id, watched, interruptedSince: since }]]);
const offlineState = (id: string, episode: number, lastDataAt: number | null, offlineSince: number): Map<string, EnterpriseOfflineState> =>
  new Map([[id, { enterpriseId: id, offline: true, episode, lastDataAt, offlineSince }]]);

describe('planOffline: silence', () => {
  it('an enterprise silent for the limit goes offline once; data back makes it online; never-seen ones are left alone', () => {
    const first = planOffline([e('a', T - LIMIT), e('b', T - 1000), e('c', null)], new Map(), T, ALL);
    expect(first).toHaveLength(1);
    expect(first[0]?.state).toEqual({ enterpriseId: 'a', offline: true, episode: 1, lastDataAt: T - LIMIT, offlineSince: T - LIMIT });
    expect(first[0]?.event).toMatchObject({
      id: 'enterprise-offline/a/1/offline',
      alarmId: 'enterprise-offline/a',
      type: 'enterprise_offline',
      colour: null,
      category: 'offline',
      regionCode: '370321',
      value: 600,
    });
    const states = new Map<string, EnterpriseOfflineState>([['a', first[0]?.state ?? ({} as EnterpriseOfflineState)]]);
    expect(planOffline([e('a', T - LIMIT)], states, T + 60_000, ALL)).toEqual([]);
    const back = planOffline([e('a', T + 120_000)], states, T + 121_000, ALL);
    expect(back[0]?.event).toMatchObject({ id: 'enterprise-offline/a/1/online', type: 'enterprise_online', stateAfter: 'normal', value: 720 });
    expect(back[0]?.state).toMatchObject({ offline: false, episode: 1, offlineSince: null });
  });
});

describe('planOffline: interruption alarms', () => {
  // Each row: watched points, raise times of the interrupted ones, share, prior state → the event type expected (or none).
  const cases: Array<{
    name: string;
    watched: number;
    since: number[];
    share: number;
    lastDataAt: number | null;
    prior?: Map<string, EnterpriseOfflineState>;
    expect: 'enterprise_offline' | 'enterprise_online' | null;
    offlineSince?: number;
    value?: number | null;
  }> = [
    {
      name: 'all 3 watched points interrupted (share 1): offline',
      watched: 3,
      since: [T - 30_000, T - 20_000, T - 5000],
      share: 1,
      lastDataAt: T - 5000,
      expect: 'enterprise_offline',
      offlineSince: T - 5000,
      value: 3,
    },
    { name: '2 of 3 interrupted (share 1): online stays', watched: 3, since: [T - 30_000, T - 20_000], share: 1, lastDataAt: T - 1000, expect: null },
    {
      name: '2 of 3 interrupted, share 0.5 (needs 2): offline since the second raise',
      watched: 3,
      since: [T - 30_000, T - 20_000],
      share: 0.5,
      lastDataAt: T - 1000,
      expect: 'enterprise_offline',
      offlineSince: T - 20_000,
      value: 2,
    },
    { name: '1 of 3 interrupted, share 0.5: not enough', watched: 3, since: [T - 30_000], share: 0.5, lastDataAt: T - 1000, expect: null },
    { name: 'share 0.01 of 3 still needs one point', watched: 3, since: [], share: 0.01, lastDataAt: T - 1000, expect: null },
    { name: 'no interruption rules at all: never offline by this path', watched: 0, since: [], share: 1, lastDataAt: T - 1000, expect: null },
    {
      name: 'never sent data, every watched point interrupted: offline (the rules expect data)',
      watched: 2,
      since: [T - 9000, T - 8000],
      share: 1,
      lastDataAt: null,
      expect: 'enterprise_offline',
      offlineSince: T - 8000,
    },
    {
      name: 'already offline (either cause) and still interrupted: no second event',
      watched: 2,
      since: [T - 9000, T - 8000],
      share: 1,
      lastDataAt: T - 8500,
      prior: offlineState('x', 1, T - 8500, T - 8000),
      expect: null,
    },
    {
      name: 'already offline by silence, interruptions now too: no second event',
      watched: 2,
      since: [T - 9000, T - 8000],
      share: 1,
      lastDataAt: T - LIMIT - 1,
      prior: offlineState('x', 1, T - LIMIT - 1, T - LIMIT - 1),
      expect: null,
    },
    {
      name: 'offline by interruptions, one point back: online, time from the start to the returning data',
      watched: 2,
      since: [T - 9000],
      share: 1,
      lastDataAt: T - 2000,
      prior: offlineState('x', 4, T - 8500, T - 8000),
      expect: 'enterprise_online',
      value: 6,
    },
    {
      name: 'offline by interruptions, rules disabled (nothing watched), no new data: online, time to now',
      watched: 0,
      since: [],
      share: 1,
      lastDataAt: T - 20_000,
      prior: offlineState('x', 1, T - 20_000, T - 8000),
      expect: 'enterprise_online',
      value: 8,
    },
    {
      name: 'interruptions cleared but silent past the limit: stays offline',
      watched: 2,
      since: [],
      share: 1,
      lastDataAt: T - LIMIT,
      prior: offlineState('x', 1, T - LIMIT - 5000, T - LIMIT),
      expect: null,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const changes = planOffline(
        [e('x', c.lastDataAt)],
        c.prior ?? new Map(),
        T,
        { offlineAfterMs: LIMIT, interruptedShare: c.share },
        intr('x', c.watched, c.since),
      );
      if (c.expect === null) {
        expect(changes).toEqual([]);
        return;
      }
      expect(changes).toHaveLength(1);
      const [ch] = changes;
      expect(ch?.event.type).toBe(c.expect);
      const episode = (c.prior?.get('x')?.episode ?? 0) + (c.expect === 'enterprise_offline' ? 1 : 0);
      expect(ch?.event.id).toBe(`enterprise-offline/x/${episode}/${c.expect === 'enterprise_offline' ? 'offline' : 'online'}`);
      expect(ch?.state.offline).toBe(c.expect === 'enterprise_offline');
      expect(ch?.state.episode).toBe(episode);
      if (c.offlineSince !== undefined) expect(ch?.state.offlineSince).toBe(c.offlineSince);
      if (c.value !== undefined) expect(ch?.event.value).toBe(c.value);
    });

  it('an interruption episode says why, and a silent one says silence even when interruptions hold too', () => {
    const [byInterruption] = planOffline([e('x', T - 1000)], new Map(), T, ALL, intr('x', 4, [T - 4000, T - 3000, T - 2000, T - 1000]));
    expect(byInterruption?.event.reason).toBe('4 of 4 points with interruption rules interrupted (limit 100 %)');
    expect(byInterruption?.event.message).toContain('Plant x: data interrupted at 4 of 4 monitored points since');
    const [both] = planOffline([e('x', T - LIMIT)], new Map(), T, ALL, intr('x', 1, [T - LIMIT + 30_000]));
    expect(both?.event.reason).toBe('no data for 600 s (limit 600 s)');
    expect(both?.state.offlineSince).toBe(T - LIMIT);
  });

  it('a full episode through both paths: offline by interruptions, silence joins, data back → exactly one offline and one online', () => {
    const steps: Array<{ at: number; last: number; since: number[] }> = [
      { at: T, last: T - 1000, since: [] }, // all fine
      { at: T + 30_000, last: T - 1000, since: [T + 29_000] }, // the only watched point interrupted → offline
      { at: T + 60_000, last: T - 1000, since: [T + 29_000] },
      { at: T + LIMIT, last: T - 1000, since: [T + 29_000] }, // silence passes its limit too: same episode
      { at: T + LIMIT + 30_000, last: T + LIMIT + 29_000, since: [] }, // data back, alarm cleared → online
      { at: T + LIMIT + 60_000, last: T + LIMIT + 59_000, since: [] },
    ];
    let states = new Map<string, EnterpriseOfflineState>();
    const types: string[] = [];
    for (const s of steps) {
      for (const ch of planOffline([e('x', s.last)], states, s.at, ALL, intr('x', 1, s.since))) {
        types.push(ch.event.id);
        states = new Map([['x', ch.state]]);
      }
    }
    expect(types).toEqual(['enterprise-offline/x/1/offline', 'enterprise-offline/x/1/online']);
  });
});
