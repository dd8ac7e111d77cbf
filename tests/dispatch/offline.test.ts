import { applySiteFile, commitIngestBatch, createSecretBox, listDispatchEvents, type SecretBox } from '@hazardwatch/db';
import type { Dispatch } from '@hazardwatch/dispatch';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { addEnterprise, addTarget, fastSettings, quiet, type Receiver, secretOf, startDispatch, startReceiver } from './support.js';

describe('dispatch: an enterprise whose data stops', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let box: SecretBox;
  let dispatch: Dispatch | undefined;
  let city: Receiver;
  let other: Receiver;
  let pointId: number;
  beforeEach(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    box = createSecretBox();
    const site = await applySiteFile(db.pool, smallPlant('ent-dark', '370321'));
    pointId = site.pointIds['ent-dark-gas1.lel'] ?? 0;
    // Registered, but never sent anything: there is no data that stopped, so no alarm.
    await addEnterprise(db.pool, 'ent-new', '370321');
    city = await startReceiver(secretOf('city'));
    other = await startReceiver(secretOf('other'));
    await addTarget(db.pool, box, 'city', city, { regionPrefix: '3703' }, { eventTypes: ['enterprise_offline', 'enterprise_online'] });
    await addTarget(db.pool, box, 'other', other, { regionPrefix: '3704' }, { eventTypes: ['enterprise_offline', 'enterprise_online'] });
  });
  afterEach(async () => {
    await dispatch?.stop();
    dispatch = undefined;
    await city.close();
    await other.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  });
  const reading = (ts: number) =>
    commitIngestBatch(db.pool, { readings: [{ pointId, ts, value: 1, quality: 'good' }], positions: [], statuses: [], deadLetters: [] });

  it('its region regulators get enterprise_offline once per episode, and enterprise_online when data returns', async () => {
    await reading(Date.now() - 10_000);
    // The figure is minutes ([unconfirmed], 10 min default); scaled to 2 s, checked every 200 ms.
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings({ offlineAfterMs: 2000, offlineCheckMs: 200 }) });
    await dispatch.start();
    await waitFor(() => city.accepted.length === 1, { what: 'offline event', timeoutMs: 10_000 });
    await quiet(1000); // five more checks: still one event for this episode
    expect(city.accepted.map((r) => r.body?.type)).toEqual(['enterprise_offline']);
    expect(city.accepted[0]?.body).toMatchObject({
      enterpriseId: 'ent-dark',
      regionCode: '370321',
      alarm: { id: 'enterprise-offline/ent-dark', category: 'offline', colour: null, state: 'active_unacknowledged' },
    });
    expect(city.accepted[0]?.signatureOk).toBe(true);

    await reading(Date.now());
    await waitFor(() => city.accepted.length === 2, { what: 'online event', timeoutMs: 10_000 });
    expect(city.accepted[1]?.body).toMatchObject({ type: 'enterprise_online', alarm: { state: 'normal' } });
    expect((city.accepted[1]?.body?.seq ?? 0) > (city.accepted[0]?.body?.seq ?? 0)).toBe(true);

    // It goes quiet again: a second episode, a second offline event.
    await waitFor(() => city.accepted.length === 3, { what: 'second episode', timeoutMs: 10_000 });
    expect(city.accepted.map((r) => r.key)).toEqual([
      'enterprise-offline/ent-dark/1/offline',
      'enterprise-offline/ent-dark/1/online',
      'enterprise-offline/ent-dark/2/offline',
    ]);
    expect(other.requests).toHaveLength(0);
    const stored = await listDispatchEvents(db.pool, { afterSeq: 0 });
    expect(stored.map((e) => e.enterpriseId)).toEqual(['ent-dark', 'ent-dark', 'ent-dark']);
  });
});
