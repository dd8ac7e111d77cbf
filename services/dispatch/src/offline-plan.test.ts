import type { EnterpriseOfflineState } from '@hazardwatch/db';
import { describe, expect, it } from 'vitest';
import { planOffline } from './offline-plan.js';

const T = 1_700_000_000_000;
const LIMIT = 600_000;
const e = (id: string, lastDataAt: number | null) => ({ enterpriseId: id, name: `Plant ${id}`, regionCode: '370321', lastDataAt });

describe('planOffline', () => {
  it('an enterprise silent for the limit goes offline once; data back makes it online; never-seen ones are left alone', () => {
    const first = planOffline([e('a', T - LIMIT), e('b', T - 1000), e('c', null)], new Map(), T, LIMIT);
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
    expect(planOffline([e('a', T - LIMIT)], states, T + 60_000, LIMIT)).toEqual([]);
    const back = planOffline([e('a', T + 120_000)], states, T + 121_000, LIMIT);
    expect(back[0]?.event).toMatchObject({ id: 'enterprise-offline/a/1/online', type: 'enterprise_online', stateAfter: 'normal', value: 720 });
    expect(back[0]?.state).toMatchObject({ offline: false, episode: 1, offlineSince: null });
  });
});
