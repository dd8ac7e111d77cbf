import { verifyWebhookSignature } from '@hazardwatch/alarms';
import { createSecretBox, deliveryHistory, listDeadDeliveries, type SecretBox, updateDispatchTarget } from '@hazardwatch/db';
import { createDispatchQueues, type Dispatch, type DispatchQueues, replayDeliveries } from '@hazardwatch/dispatch';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addEnterprise, addTarget, fastSettings, Producer, quiet, type Receiver, secretOf, startDispatch, startReceiver, transition } from './support.js';

describe('dispatch: fan-out and delivery (real PostgreSQL, Redis, HTTP receivers)', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let box: SecretBox;
  let producer: Producer;
  let dispatch: Dispatch | undefined;
  let receivers: Receiver[];
  beforeEach(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    box = createSecretBox({ key: Buffer.alloc(32, 7).toString('base64') });
    producer = new Producer(db.pool, redis, prefix);
    receivers = [];
    await addEnterprise(db.pool, 'ent-huantai', '370321');
    await addEnterprise(db.pool, 'ent-tengzhou', '370481');
  });
  afterEach(async () => {
    await dispatch?.stop();
    dispatch = undefined;
    await producer.close();
    for (const r of receivers) await r.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  });
  const receiver = async (name: string, behaviour?: Parameters<typeof startReceiver>[1]) => {
    const r = await startReceiver(secretOf(name), behaviour);
    receivers.push(r);
    return r;
  };

  it('the control room and the county regulator (370321) each get the raise once, signed; another city (3704) gets nothing', async () => {
    const room = await receiver('room');
    const county = await receiver('county');
    const zaozhuang = await receiver('zaozhuang');
    const zibo = await receiver('zibo');
    await addTarget(db.pool, box, 'room', room, { enterpriseId: 'ent-huantai' });
    await addTarget(db.pool, box, 'county', county, { regionPrefix: '370321' });
    await addTarget(db.pool, box, 'zaozhuang', zaozhuang, { regionPrefix: '3704' });
    // Zibo (3703) wants only red: an orange raise is not for it.
    await addTarget(db.pool, box, 'zibo', zibo, { regionPrefix: '3703' }, { minColour: 'red' });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings() });
    await dispatch.start();

    const [raise] = await producer.send([transition('tr-gas-1', 'ent-huantai', 'point:1', 'raise', 'orange')]);
    if (!raise) throw new Error('no event');
    await waitFor(() => room.accepted.length === 1 && county.accepted.length === 1, { what: 'both receivers', timeoutMs: 15_000 });
    // A repeated job (the producer retried) changes nothing.
    await producer.queue.add('raised', raise, { jobId: `${raise.id}-again` });
    await quiet(1000);

    for (const r of [room, county]) {
      expect(r.requests).toHaveLength(1);
      const got = r.requests[0];
      expect(got?.signatureOk).toBe(true);
      expect(got?.key).toBe(raise.id);
      expect(got?.eventType).toBe('raised');
      expect(got?.headers['x-hazardwatch-spec-version']).toBe('1');
      expect(got?.body).toMatchObject({ specVersion: '1', id: raise.id, seq: raise.seq, type: 'raised', regionCode: '370321', alarm: { colour: 'orange' } });
      // The signature covers exactly the bytes received, and not others.
      const header = String(got?.headers['x-hazardwatch-signature']);
      expect(verifyWebhookSignature({ header, body: got?.raw ?? '', secrets: secretOf(r === room ? 'room' : 'county'), now: Date.now() }).ok).toBe(true);
      expect(verifyWebhookSignature({ header, body: `${got?.raw} `, secrets: secretOf('room'), now: Date.now() }).ok).toBe(false);
    }
    expect(zaozhuang.requests).toHaveLength(0);
    expect(zibo.requests).toHaveLength(0);
    const history = await deliveryHistory(db.pool, { eventId: raise.id });
    expect(history.map((d) => d.targetId).sort()).toEqual(['county', 'room']);
    expect(history.every((d) => d.status === 'delivered' && d.attemptLog.length === 1 && d.attemptLog[0]?.statusCode === 204)).toBe(true);
  });

  it('a target answering 500 for a while (the issue: 2 min, scaled to 3 s) gets every event exactly once per key, in order per alarm', async () => {
    const start = Date.now();
    const flaky = await receiver('flaky', () => (Date.now() - start < 3000 ? { status: 500 } : undefined));
    await addTarget(db.pool, box, 'flaky', flaky, { regionPrefix: '37' });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings() });
    await dispatch.start();

    const all: string[] = [];
    for (let a = 0; a < 6; a++) {
      const ent = a % 2 === 0 ? 'ent-huantai' : 'ent-tengzhou';
      const subject = `point:${a}`;
      all.push(...(await producer.send([transition(`tr-${a}-r`, ent, subject, 'raise', 'yellow')])).map((e) => e.id));
      all.push(...(await producer.send([transition(`tr-${a}-l`, ent, subject, 'level', 'red')])).map((e) => e.id));
      all.push(...(await producer.send([transition(`tr-${a}-c`, ent, subject, 'clear')])).map((e) => e.id));
    }
    await waitFor(() => flaky.accepted.length >= all.length, { what: `${all.length} events accepted`, timeoutMs: 40_000 });
    await quiet(500);
    expect(flaky.accepted.map((r) => r.key).sort()).toEqual([...all].sort());
    expect(new Set(flaky.accepted.map((r) => r.key)).size).toBe(all.length);
    expect(flaky.requests.filter((r) => r.status === 500).length).toBeGreaterThan(0);
    // In order per alarm: the receiver accepted each alarm's events by increasing seq.
    const byAlarm = new Map<string, number[]>();
    for (const r of flaky.accepted) {
      const list = byAlarm.get(r.body?.alarm.id ?? '') ?? [];
      list.push(r.body?.seq ?? -1);
      byAlarm.set(r.body?.alarm.id ?? '', list);
    }
    expect(byAlarm.size).toBe(6);
    for (const seqs of byAlarm.values()) {
      expect(seqs).toHaveLength(3);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    }
    // Every attempt is on record, with its status and latency.
    const history = await deliveryHistory(db.pool, { targetId: 'flaky' });
    expect(history).toHaveLength(all.length);
    const attempts = history.flatMap((d) => d.attemptLog);
    expect(attempts.filter((a) => a.statusCode === 500).length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(history.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('honours Retry-After on 429, and does not retry other 4xx', async () => {
    const limited = await receiver('limited');
    let first429: number | null = null;
    limited.behave((r) => {
      if (r.key.endsWith('-x')) return { status: 410 };
      if (first429 === null) {
        first429 = Date.now();
        return { status: 429, headers: { 'Retry-After': '1' } };
      }
      return undefined;
    });
    await addTarget(db.pool, box, 'limited', limited, { enterpriseId: 'ent-huantai' });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings() });
    await dispatch.start();
    const [ok] = await producer.send([transition('tr-429', 'ent-huantai', 'point:9', 'raise')]);
    await producer.send([transition('tr-gone-x', 'ent-huantai', 'point:10', 'raise')]);
    await waitFor(() => limited.accepted.length === 1, { what: 'accepted after 429', timeoutMs: 15_000 });
    const accepted = limited.accepted[0];
    expect(accepted?.key).toBe(ok?.id);
    expect((accepted?.at ?? 0) - (first429 ?? 0)).toBeGreaterThanOrEqual(950);
    const dead = await waitFor(async () => {
      const d = await listDeadDeliveries(db.pool, { targetId: 'limited' });
      return d.length === 1 ? d : null;
    });
    expect(dead[0]).toMatchObject({ eventId: 'tr-gone-x', deadReason: 'not_retryable', attempts: 1, lastStatus: 410 });
  });

  it('a target that never recovers: dead letters after the last try; replay delivers them once, same idempotency key', async () => {
    const down = await receiver('down', () => ({ status: 503 }));
    await addTarget(db.pool, box, 'down', down, { enterpriseId: 'ent-huantai' });
    const settings = fastSettings();
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: { ...settings, retry: { ...settings.retry, maxAttempts: 3 } } });
    await dispatch.start();
    const events = [
      ...(await producer.send([transition('tr-d1', 'ent-huantai', 'point:1', 'raise', 'red')])),
      ...(await producer.send([transition('tr-d2', 'ent-huantai', 'point:2', 'raise', 'red')])),
    ];
    const dead = await waitFor(
      async () => {
        const d = await listDeadDeliveries(db.pool, { targetId: 'down' });
        return d.length === 2 ? d : null;
      },
      { what: 'two dead letters', timeoutMs: 20_000 },
    );
    expect(dead.every((d) => d.deadReason === 'attempts_exhausted' && d.attempts === 3 && d.lastStatus === 503)).toBe(true);
    expect(down.requests).toHaveLength(6);
    expect(down.accepted).toHaveLength(0);

    down.behave(() => undefined);
    const queues: DispatchQueues = createDispatchQueues(redis, prefix);
    try {
      const replayed = await replayDeliveries({ pool: db.pool, queues }, { ids: dead.map((d) => d.id) }, { by: 'admin-1', now: Date.now() });
      expect(replayed.map((r) => r.chain)).toEqual([2, 2]);
      // Replaying again while they are pending does nothing (only dead ones are replayed).
      expect(await replayDeliveries({ pool: db.pool, queues }, { ids: dead.map((d) => d.id) }, { by: 'admin-1', now: Date.now() })).toEqual([]);
    } finally {
      await queues.close();
    }
    await waitFor(() => down.accepted.length === 2, { what: 'replayed deliveries accepted', timeoutMs: 15_000 });
    expect(down.accepted.map((r) => r.key).sort()).toEqual(events.map((e) => e.id).sort());
    // Same bytes as the first chain: the body was serialised once.
    for (const a of down.accepted) expect(down.requests.find((r) => r.key === a.key && r.n < a.n)?.raw).toBe(a.raw);
    const history = await deliveryHistory(db.pool, { targetId: 'down' });
    expect(history.every((d) => d.status === 'delivered' && d.chain === 2 && d.replayedBy === 'admin-1' && d.attempts === 4)).toBe(true);
    expect(history[0]?.attemptLog.map((a) => [a.chain, a.attempt, a.statusCode])).toEqual([
      [1, 1, 503],
      [1, 2, 503],
      [1, 3, 503],
      [2, 1, 204],
    ]);
    expect(await listDeadDeliveries(db.pool, { targetId: 'down' })).toEqual([]);
  });

  it('a target disabled while deliveries wait: they are dead-lettered (target_disabled); re-enabled, a replay of the target delivers them', async () => {
    const late = await receiver('late', () => ({ status: 503 }));
    await addTarget(db.pool, box, 'late', late, { enterpriseId: 'ent-huantai' });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings() });
    await dispatch.start();
    const [e] = await producer.send([transition('tr-dis', 'ent-huantai', 'point:1', 'raise')]);
    await waitFor(() => late.requests.length >= 1, { what: 'first failed attempt' });
    await updateDispatchTarget(db.pool, 'late', { enabled: false });
    const dead = await waitFor(async () => {
      const d = await listDeadDeliveries(db.pool, { targetId: 'late' });
      return d.length === 1 ? d : null;
    });
    expect(dead[0]).toMatchObject({ eventId: e?.id, deadReason: 'target_disabled' });
    late.behave(() => undefined);
    await updateDispatchTarget(db.pool, 'late', { enabled: true });
    const queues = createDispatchQueues(redis, prefix);
    try {
      expect(await replayDeliveries({ pool: db.pool, queues }, { targetId: 'late' }, { by: 'admin-1', now: Date.now() })).toHaveLength(1);
    } finally {
      await queues.close();
    }
    await waitFor(() => late.accepted.length === 1, { what: 'delivered after replay' });
    expect(late.accepted[0]?.key).toBe(e?.id);
  });

  it('a target that hangs holds back nobody else (per-target slots, request timeout)', async () => {
    const hang = await receiver('hang', () => 'hang');
    const fast = await receiver('fast');
    await addTarget(db.pool, box, 'hang', hang, { regionPrefix: '3703' });
    await addTarget(db.pool, box, 'fast', fast, { regionPrefix: '37' });
    const settings = fastSettings({ deliveryConcurrency: 8, perTargetConcurrency: 2, requestTimeoutMs: 5000 });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings });
    await dispatch.start();
    const t0 = Date.now();
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) sent.push(...(await producer.send([transition(`tr-h${i}`, 'ent-huantai', `point:${i}`, 'raise')])).map((e) => e.id));
    await waitFor(() => fast.accepted.length === 30, { what: 'the fast target gets everything', timeoutMs: 10_000 });
    // Well before the hanging target's first timeout: its 30 deliveries never took the 8 worker slots.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(hang.requests.length).toBeLessThanOrEqual(2);
    expect(fast.accepted.map((r) => r.key).sort()).toEqual(sent.sort());
  });

  it('an event committed whose job was never added (producer crashed in between) is swept and delivered', async () => {
    const room = await receiver('room');
    await addTarget(db.pool, box, 'room', room, { enterpriseId: 'ent-huantai' });
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings({ sweepGraceMs: 500 }) });
    await dispatch.start();
    const lost = await producer.commit([transition('tr-lost', 'ent-huantai', 'point:1', 'raise')]);
    await waitFor(() => room.accepted.length === 1, { what: 'swept event delivered', timeoutMs: 15_000 });
    expect(room.accepted[0]?.key).toBe(lost[0]?.id);
  });

  it('a later event whose earlier sibling was never published still arrives after it (catch-up in seq order)', async () => {
    const room = await receiver('room');
    await addTarget(db.pool, box, 'room', room, { enterpriseId: 'ent-huantai' });
    // A long grace: only the catch-up, not the sweeper, can deliver the unpublished raise here.
    dispatch = startDispatch({ pool: db.pool, redis, prefix, secrets: box, settings: fastSettings({ sweepGraceMs: 60_000 }) });
    await dispatch.start();
    const raise = await producer.commit([transition('tr-o1', 'ent-huantai', 'point:1', 'raise')]);
    const clear = await producer.send([transition('tr-o2', 'ent-huantai', 'point:1', 'clear')]);
    await waitFor(() => room.accepted.length === 2, { what: 'both events', timeoutMs: 10_000 });
    expect(room.accepted.map((r) => r.key)).toEqual([raise[0]?.id, clear[0]?.id]);
  });
});
