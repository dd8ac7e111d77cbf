import type { AlarmTransition } from '@hazardwatch/contracts';
import { applySiteFile, commitIngestBatch, createRule, createSecretBox, listDispatchEvents, type SecretBox } from '@hazardwatch/db';
import type { Dispatch } from '@hazardwatch/dispatch';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { addTarget, fastSettings, Producer, quiet, type Receiver, secretOf, startDispatch, startReceiver, transition } from './support.js';

/** An interruption rule over both gas detectors of a small plant. */
async function interruptionRule(db: TestDatabase, enterpriseId: string, pointIds: number[]): Promise<string> {
  const id = `silence-${enterpriseId}`;
  await createRule(
    db.pool,
    {
      id,
      version: 1,
      enterpriseId,
      hazardSourceId: `${enterpriseId}-unit`,
      name: 'gas detectors silent',
      kind: 'interruption',
      category: 'offline',
      pointIds,
      timeoutMs: 30_000,
    },
    { by: 'test' },
  );
  return id;
}

/** What the rules worker commits when an interruption rule's point goes silent (raise) or reports again (clear). */
function interruption(ruleId: string, enterpriseId: string, pointId: number, kind: 'raise' | 'clear', n: number): AlarmTransition {
  return {
    ...transition(`${ruleId}:point:${pointId}:${n}:${kind}`, enterpriseId, `point:${pointId}`, kind, kind === 'raise' ? 'yellow' : null),
    ruleId,
    category: 'offline',
    level: kind === 'raise' ? 'INTERRUPTION' : null,
    value: null,
    pointIds: [pointId],
  };
}

describe('dispatch: an enterprise whose devices are all interrupted', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let box: SecretBox;
  let producer: Producer;
  let dispatch: Dispatch | undefined;
  let city: Receiver;
  const gas: Record<string, number[]> = {};
  const rules: Record<string, string> = {};
  beforeEach(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    box = createSecretBox();
    producer = new Producer(db.pool, redis, prefix);
    for (const ent of ['ent-dark', 'ent-half']) {
      const site = await applySiteFile(db.pool, smallPlant(ent, '370321'));
      gas[ent] = [site.pointIds[`${ent}-gas1.lel`] ?? 0, site.pointIds[`${ent}-gas2.lel`] ?? 0];
      rules[ent] = await interruptionRule(db, ent, gas[ent] ?? []);
    }
    city = await startReceiver(secretOf('city'));
    await addTarget(db.pool, box, 'city', city, { regionPrefix: '3703' }, { eventTypes: ['enterprise_offline', 'enterprise_online'] });
  });
  afterEach(async () => {
    await dispatch?.stop();
    dispatch = undefined;
    await producer.close();
    await city.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  });
  const reading = (ent: string, ts: number) =>
    commitIngestBatch(db.pool, {
      readings: [{ pointId: (gas[ent] ?? [])[1] ?? 0, ts, value: 1, quality: 'good' }],
      positions: [],
      statuses: [],
      deadLetters: [],
    });
  const alarms = (ent: string, kind: 'raise' | 'clear', points: number[], n: number) =>
    producer.send(points.map((p) => interruption(rules[ent] ?? '', ent, p, kind, n)));

  it('goes offline once when every watched point is interrupted (not before), stays one episode when the silence limit passes too, and comes back online', async () => {
    const [dark1 = 0, dark2 = 0] = gas['ent-dark'] ?? [];
    const [half1 = 0] = gas['ent-half'] ?? [];
    await reading('ent-dark', Date.now());
    // Silence limit scaled to 4 s (the minutes), checked every 200 ms: the interruptions come first.
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings({ offlineAfterMs: 4000, offlineCheckMs: 200 }) });
    await dispatch.start();

    // One of two points interrupted, in both plants: not offline (share 1 = all of them).
    await alarms('ent-dark', 'raise', [dark1], 1);
    await alarms('ent-half', 'raise', [half1], 1);
    await quiet(800);
    expect(city.requests).toHaveLength(0);

    // The second detector of ent-dark too: offline, by the interruption path.
    await alarms('ent-dark', 'raise', [dark2], 1);
    await waitFor(() => city.accepted.length === 1, { what: 'offline event', timeoutMs: 10_000 });
    expect(city.accepted[0]?.body).toMatchObject({
      type: 'enterprise_offline',
      enterpriseId: 'ent-dark',
      reason: '2 of 2 points with interruption rules interrupted (limit 100 %)',
      alarm: { id: 'enterprise-offline/ent-dark', category: 'offline', state: 'active_unacknowledged' },
    });
    expect(city.accepted[0]?.signatureOk).toBe(true);

    // Past the silence limit as well (no reading since): the same episode, no second offline event.
    await quiet(4500);
    expect(city.accepted.map((r) => r.key)).toEqual(['enterprise-offline/ent-dark/1/offline']);

    // Data back and the interruptions cleared: online once.
    await reading('ent-dark', Date.now());
    await alarms('ent-dark', 'clear', [dark1, dark2], 2);
    await waitFor(() => city.accepted.length === 2, { what: 'online event', timeoutMs: 10_000 });
    await quiet(800);
    expect(city.accepted.map((r) => r.key)).toEqual(['enterprise-offline/ent-dark/1/offline', 'enterprise-offline/ent-dark/1/online']);
    expect(city.accepted[1]?.body).toMatchObject({ type: 'enterprise_online', alarm: { state: 'normal' } });
    const stored = await listDispatchEvents(db.pool, { afterSeq: 0 });
    expect(stored.map((e) => `${e.enterpriseId} ${e.type}`)).toEqual(['ent-dark enterprise_offline', 'ent-dark enterprise_online']);
  });
});
