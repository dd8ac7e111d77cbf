import { EscalationPolicySchema } from '@hazardwatch/alarms';
import { createSecretBox, getAlarm, type SecretBox } from '@hazardwatch/db';
import type { Dispatch } from '@hazardwatch/dispatch';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEnterprise, addTarget, fastSettings, Producer, quiet, type Receiver, secretOf, startDispatch, startReceiver, transition } from './support.js';

describe('dispatch: escalation of an unacknowledged alarm', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let box: SecretBox;
  let producer: Producer;
  let dispatch: Dispatch;
  const rx: Record<string, Receiver> = {};
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    box = createSecretBox();
    producer = new Producer(db.pool, redis, prefix);
    await addEnterprise(db.pool, 'ent-huantai', '370321');
    for (const name of ['room', 'county', 'city', 'province', 'othercity']) rx[name] = await startReceiver(secretOf(name));
    const r = (n: string): Receiver => {
      const x = rx[n];
      if (!x) throw new Error(n);
      return x;
    };
    await addTarget(db.pool, box, 'room', r('room'), { enterpriseId: 'ent-huantai' });
    await addTarget(db.pool, box, 'county', r('county'), { regionPrefix: '370321' });
    await addTarget(db.pool, box, 'city', r('city'), { regionPrefix: '3703' });
    await addTarget(db.pool, box, 'province', r('province'), { regionPrefix: '37' });
    await addTarget(db.pool, box, 'othercity', r('othercity'), { regionPrefix: '3704' });
    // The house policy is 15 min per tier for orange; scaled here to 2 s, reminders every 1 s, up to the city.
    // A longer province-wide override for yellow shows the per-region layer is read (not used by this alarm).
    const policy = EscalationPolicySchema.parse({
      defaults: {
        red: { escalateAfterMs: 1000, reminderEveryMs: 1000, highestTier: 'province' },
        orange: { escalateAfterMs: 60_000, reminderEveryMs: 60_000, highestTier: 'province' },
        yellow: { escalateAfterMs: 60_000, reminderEveryMs: 60_000, highestTier: 'county' },
        blue: { escalateAfterMs: 60_000, reminderEveryMs: 60_000, highestTier: 'enterprise' },
      },
      regions: [{ regionPrefix: '3703', source: 'test: Zibo', colours: { orange: { escalateAfterMs: 2000, reminderEveryMs: 1000, highestTier: 'city' } } }],
    });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings({ escalationPolicy: policy }) });
    await dispatch.start();
  });
  afterAll(async () => {
    await dispatch?.stop();
    await producer?.close();
    for (const r of Object.values(rx)) await r.close();
    redis?.disconnect();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  const escalated = (name: string) => (rx[name]?.accepted ?? []).filter((r) => r.eventType === 'escalated');

  it('an orange alarm left unacknowledged reaches the county, then the city (not beyond the policy); acknowledging stops the reminders', async () => {
    const [raise] = await producer.send([transition('tr-esc-1', 'ent-huantai', 'point:7', 'raise', 'orange')]);
    if (!raise) throw new Error('no raise');
    await waitFor(() => escalated('county').length >= 1, { what: 'county escalation', timeoutMs: 10_000 });
    const toCounty = escalated('county')[0]?.body;
    expect(toCounty).toMatchObject({
      type: 'escalated',
      alarm: { id: raise.alarmId, colour: 'orange' },
      escalation: { tier: 'county', stage: 1, reminder: 0, kind: 'escalation' },
    });
    expect(escalated('city')).toHaveLength(0);
    await waitFor(() => escalated('city').length >= 2, { what: 'city escalation and a reminder', timeoutMs: 10_000 });
    expect(escalated('city')[0]?.body?.escalation).toEqual({ tier: 'city', stage: 2, reminder: 0, kind: 'escalation' });
    expect(escalated('city')[1]?.body?.escalation).toMatchObject({ tier: 'city', stage: 2, kind: 'reminder' });
    // The county had its reminder while it was the tier told last; the control room its own (stage 0).
    expect(escalated('county').some((r) => r.body?.escalation?.kind === 'reminder')).toBe(true);
    expect(escalated('room').every((r) => r.body?.escalation?.tier === 'enterprise')).toBe(true);
    // Up to the city only (the 3703 policy), and never another city.
    expect(escalated('province')).toHaveLength(0);
    expect(rx.othercity?.requests).toHaveLength(0);
    // Escalation events are alarm events (alarm store), in seq order after the raise, with deterministic ids.
    for (const r of escalated('city')) expect(r.body?.seq ?? 0).toBeGreaterThan(raise.seq);

    const ack = await producer.acknowledge(raise.alarmId, 'ack-esc-1');
    await producer.publish(ack);
    expect((await getAlarm(db.pool, raise.alarmId))?.state).toBe('active_acknowledged');
    await waitFor(() => rx.city?.accepted.some((r) => r.eventType === 'acknowledged'), { what: 'the acknowledgement delivered' });
    const counts = Object.fromEntries(Object.keys(rx).map((k) => [k, escalated(k).length]));
    // Three reminder periods of silence: nothing more after the acknowledgement.
    await quiet(3000);
    expect(Object.fromEntries(Object.keys(rx).map((k) => [k, escalated(k).length]))).toEqual(counts);
    // Every escalated event was delivered once per key at each receiver.
    for (const r of Object.values(rx)) expect(new Set(r.accepted.map((a) => a.key)).size).toBe(r.accepted.length);
  });

  it('a red alarm climbs to the province under the defaults; an acknowledgement in between stops it where it is', async () => {
    const [raise] = await producer.send([transition('tr-esc-red', 'ent-huantai', 'point:8', 'raise', 'red')]);
    if (!raise) throw new Error('no raise');
    const forAlarm = (name: string) => escalated(name).filter((r) => r.body?.alarm.id === raise.alarmId);
    await waitFor(() => forAlarm('province').length >= 1, { what: 'province escalation', timeoutMs: 10_000 });
    expect(forAlarm('province')[0]?.body?.escalation).toMatchObject({ tier: 'province', stage: 3, kind: 'escalation' });
    expect(forAlarm('county')[0]?.body?.escalation).toMatchObject({ tier: 'county', stage: 1 });
    expect(forAlarm('city')[0]?.body?.escalation).toMatchObject({ tier: 'city', stage: 2 });
    await producer.publish(await producer.acknowledge(raise.alarmId, 'ack-esc-red'));
    await waitFor(() => rx.province?.accepted.some((r) => r.eventType === 'acknowledged' && r.body?.alarm.id === raise.alarmId));
    const n = forAlarm('province').length;
    await quiet(2500);
    expect(forAlarm('province')).toHaveLength(n);
  });
});
