import type { AlarmEvent } from '@hazardwatch/contracts';
import { createLiveStream, DispatchError, type LiveStream, type LiveSubscription } from '@hazardwatch/dispatch';
import { createRedis, liveChannel, type Redis } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addEnterprise, Producer, transition } from './support.js';

/** The next `n` events of a subscription, or fail after `timeoutMs`. */
async function take(sub: LiveSubscription, n: number, timeoutMs = 5000): Promise<AlarmEvent[]> {
  const out: AlarmEvent[] = [];
  const deadline = setTimeout(() => sub.close(), timeoutMs);
  try {
    while (out.length < n) {
      const r = await sub.next();
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

/** Whether anything arrives within `ms` (the subscription is closed afterwards if nothing did). */
async function nothingWithin(sub: LiveSubscription, ms: number): Promise<boolean> {
  const timer = setTimeout(() => sub.close(), ms);
  const r = await sub.next();
  clearTimeout(timer);
  return r.done === true;
}

describe('live stream: Redis fan-out, scope filtering, replay after Last-Event-ID', () => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let producer: Producer;
  let live: LiveStream;
  beforeEach(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    prefix = testRedisPrefix();
    redis = createRedis(testRedisUrl());
    producer = new Producer(db.pool, redis, prefix);
    live = createLiveStream({ redis, prefix, pool: db.pool });
    await addEnterprise(db.pool, 'ent-huantai', '370321');
    await addEnterprise(db.pool, 'ent-zibo-2', '370302');
    await addEnterprise(db.pool, 'ent-tengzhou', '370481');
  });
  afterEach(async () => {
    await live.close();
    await producer.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  });

  it('a regulator of 3703 follows 3703xx live and never sees 3704xx; an enterprise sees only itself', async () => {
    const city = live.subscribe({ regionPrefix: '3703' });
    const county = live.subscribe({ regionPrefix: '370321' });
    const tengzhou = live.subscribe({ enterpriseId: 'ent-tengzhou' });
    // The first next() starts the subscription; events published from then on are followed.
    const cityEvents = take(city, 2);
    const countyEvents = take(county, 1);
    const tengzhouEvents = take(tengzhou, 1);
    await new Promise((r) => setTimeout(r, 200));
    const a = await producer.send([transition('tr-l1', 'ent-huantai', 'point:1', 'raise')]);
    const b = await producer.send([transition('tr-l2', 'ent-tengzhou', 'point:1', 'raise')]);
    const c = await producer.send([transition('tr-l3', 'ent-zibo-2', 'point:1', 'raise')]);
    expect((await cityEvents).map((e) => e.id)).toEqual([a[0]?.id, c[0]?.id]);
    expect((await countyEvents).map((e) => e.id)).toEqual([a[0]?.id]);
    expect((await tengzhouEvents).map((e) => e.id)).toEqual([b[0]?.id]);
    expect(await nothingWithin(county, 500)).toBe(true);
  });

  it('after a reconnect with Last-Event-ID: the missed events of the scope from PostgreSQL, then live ones, none twice', async () => {
    const first = live.subscribe({ regionPrefix: '3703' });
    const got = take(first, 1);
    await new Promise((r) => setTimeout(r, 200));
    const e1 = await producer.send([transition('tr-r1', 'ent-huantai', 'point:1', 'raise')]);
    const seen = await got;
    expect(seen.map((e) => e.id)).toEqual([e1[0]?.id]);
    first.close();
    const lastEventId = String(first.lastSeq);

    // While the client is away: two events in its scope, one outside it; one committed but never published.
    const missed = [
      ...(await producer.send([transition('tr-r2', 'ent-huantai', 'point:1', 'level', 'red')])),
      ...(await producer.send([transition('tr-r3', 'ent-tengzhou', 'point:2', 'raise')])),
      ...(await producer.commit([transition('tr-r4', 'ent-zibo-2', 'point:3', 'raise')])),
    ];
    const again = live.subscribe({ regionPrefix: '3703' }, lastEventId);
    const replayed = await take(again, 2);
    expect(replayed.map((e) => e.id)).toEqual([missed[0]?.id, missed[2]?.id]);
    // Then live, without repeating what the replay gave.
    const more = take(again, 1);
    await new Promise((r) => setTimeout(r, 100));
    // An event already replayed, published again (a producer retry), is not handed out twice.
    if (missed[0]) await redis.publish(liveChannel(prefix), JSON.stringify(missed[0]));
    const e5 = await producer.send([transition('tr-r5', 'ent-huantai', 'point:1', 'clear')]);
    expect((await more).map((e) => e.id)).toEqual([e5[0]?.id]);
    expect(again.lastSeq).toBe(e5[0]?.seq);
  });

  it('ignores what is not an alarm event on the channel, refuses a bad scope, and ends a subscriber that falls too far behind', async () => {
    expect(() => live.subscribe({ regionPrefix: '370' })).toThrow(DispatchError);
    const small = createLiveStream({ redis, prefix, pool: db.pool, maxBuffered: 3 });
    try {
      const slow = small.subscribe({ regionPrefix: '37' });
      const ok = live.subscribe({ regionPrefix: '37' });
      const first = take(ok, 1);
      const slowFirst = slow.next();
      await new Promise((r) => setTimeout(r, 200));
      await redis.publish(liveChannel(prefix), JSON.stringify({ kind: 'latest-values', values: {} }));
      await redis.publish(liveChannel(prefix), 'not json');
      const events = [];
      for (let i = 0; i < 6; i++) events.push(...(await producer.send([transition(`tr-s${i}`, 'ent-huantai', `point:${i}`, 'raise')])));
      expect((await first).map((e) => e.id)).toEqual([events[0]?.id]);
      expect((await slowFirst).value?.id).toBe(events[0]?.id);
      await new Promise((r) => setTimeout(r, 300));
      await expect(slow.next()).rejects.toMatchObject({ code: 'HW_DISPATCH_LIVE_OVERFLOW' });
    } finally {
      await small.close();
    }
  });
});
