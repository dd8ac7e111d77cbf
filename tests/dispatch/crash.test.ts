import { createSecretBox, deliveryHistory } from '@hazardwatch/db';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, spawnService } from '../support/ingest-process.js';
import { addEnterprise, addTarget, Producer, type Receiver, secretOf, startReceiver, transition } from './support.js';

describe('dispatch as its own process: SIGKILL mid-delivery', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let producer: Producer;
  let room: Receiver;
  let county: Receiver;
  let proc: ServiceProcess | undefined;
  const key = Buffer.alloc(32, 3).toString('base64');
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    producer = new Producer(db.pool, redis, prefix);
    const box = createSecretBox({ key });
    await addEnterprise(db.pool, 'ent-huantai', '370321');
    // Slow answers: many requests are in flight when the process dies.
    room = await startReceiver(secretOf('room'), () => ({ status: 204, delayMs: 150 }));
    county = await startReceiver(secretOf('county'), () => ({ status: 204, delayMs: 100 }));
    await addTarget(db.pool, box, 'room', room, { enterpriseId: 'ent-huantai' });
    await addTarget(db.pool, box, 'county', county, { regionPrefix: '370321' });
  });
  afterAll(async () => {
    await proc?.kill('SIGTERM');
    await producer?.close();
    await room?.close();
    await county?.close();
    redis?.disconnect();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  it('nothing is lost; repeats carry the same idempotency key and the same bytes', async () => {
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      DISPATCH_SECRET_KEY: key,
      // A dead process's active jobs run again after the lock (2 s here, 30 s by default).
      DISPATCH_LOCK_MS: '2000',
      DISPATCH_RETRY_BASE_MS: '100',
      DISPATCH_RETRY_MAX_MS: '1000',
      DISPATCH_SWEEP_MS: '500',
      DISPATCH_SWEEP_GRACE_MS: '3000',
      DISPATCH_OFFLINE_CHECK_MS: '0',
      DISPATCH_DELIVERY_CONCURRENCY: '16',
      DISPATCH_PER_TARGET_CONCURRENCY: '8',
    };
    proc = spawnService('services/dispatch/src/main.ts', env);
    await waitFor(() => proc?.output().includes('dispatch running'), { what: 'dispatch up', timeoutMs: 30_000 });
    const events: string[] = [];
    for (let a = 0; a < 20; a++) {
      events.push(...(await producer.send([transition(`tr-k${a}-r`, 'ent-huantai', `point:${a}`, 'raise', 'red')])).map((e) => e.id));
      events.push(...(await producer.send([transition(`tr-k${a}-c`, 'ent-huantai', `point:${a}`, 'clear')])).map((e) => e.id));
    }
    await waitFor(() => room.accepted.length >= 8, { what: 'first deliveries', timeoutMs: 20_000 });
    await proc.kill('SIGKILL');
    const atKill = room.accepted.length + county.accepted.length;
    expect(atKill).toBeLessThan(events.length * 2);

    proc = spawnService('services/dispatch/src/main.ts', env);
    await waitFor(() => room.accepted.length === events.length && county.accepted.length === events.length, {
      what: `${events.length} events at both receivers`,
      timeoutMs: 60_000,
    });
    for (const r of [room, county]) {
      expect(r.accepted.map((x) => x.key).sort()).toEqual([...events].sort());
      // Repeats (a request in flight at the kill, sent again) only ever carry a known key, and the same body.
      for (const req of r.requests) {
        expect(req.signatureOk).toBe(true);
        expect(events).toContain(req.key);
        expect(req.raw).toBe(r.accepted.find((x) => x.key === req.key)?.raw);
      }
      // In order per alarm, across the crash.
      const seqByAlarm = new Map<string, number[]>();
      for (const x of r.accepted) seqByAlarm.set(x.body?.alarm.id ?? '', [...(seqByAlarm.get(x.body?.alarm.id ?? '') ?? []), x.body?.seq ?? 0]);
      for (const seqs of seqByAlarm.values()) expect([...seqs].sort((p, q) => p - q)).toEqual(seqs);
    }
    // The kill caught requests in flight (answers take 100-150 ms, 16 at a time): they were sent again.
    expect(room.duplicates().length + county.duplicates().length).toBeGreaterThan(0);
    const history = await deliveryHistory(db.pool, { limit: 1000 });
    expect(history).toHaveLength(events.length * 2);
    expect(history.every((d) => d.status === 'delivered')).toBe(true);
  });
});
