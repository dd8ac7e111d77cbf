import { dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_BUCKET_POINTS, LATEST_SLOT_BYTES, type LatestEntry, latestText, readLatest, setLatestIfNewer } from './latest-values.js';
import { clearLatestOlderThan } from './latest-values-retention.js';

let redis: Redis;
const prefixes: string[] = [];
const own = () => {
  const p = testRedisPrefix();
  prefixes.push(p);
  return p;
};
beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  for (const p of prefixes) await dropRedisPrefix(p);
  redis.disconnect();
});

const CUTOFF = 1_790_000_000_000;
const at = (pointId: number, ts: number): LatestEntry => ({ pointId, ts, text: latestText(ts, pointId + 0.25, 'good') });
const none = (pointId: number): LatestEntry => ({ pointId, ts: null, text: latestText(null, null, null) });
const tsOf = (tail: string | undefined): number | null | undefined => (tail === undefined ? undefined : JSON.parse(`{"ts":${tail}}`).ts);
const slotBytes = async (prefix: string, pointId: number): Promise<Buffer> => {
  const b = Math.floor(pointId / LATEST_BUCKET_POINTS);
  const off = (pointId % LATEST_BUCKET_POINTS) * LATEST_SLOT_BYTES;
  return redis.getrangeBuffer(`${prefix}:latest:${b}`, off, off + LATEST_SLOT_BYTES - 1);
};

describe('latest values: retention clear', () => {
  it('clears slots older than the cutoff and leaves the others byte for byte, markers and empty slots included', async () => {
    const prefix = own();
    // Runs of old and new slots, one at exactly the cutoff, a marker, a gap never written, and an old slot last in the string.
    const old = [1, 2, 5, 6, 7, 20];
    const newer = [3, 4, 8, 9];
    await setLatestIfNewer(redis, prefix, [
      ...old.map((id) => at(id, CUTOFF - 86_400_000 + id)),
      ...newer.map((id) => at(id, CUTOFF + id)),
      at(10, CUTOFF),
      at(11, CUTOFF - 1),
      none(12),
    ]);
    const keptIds = [...newer, 10, 12, 13, 19];
    const before = await Promise.all(keptIds.map((id) => slotBytes(prefix, id)));

    const r = await clearLatestOlderThan(redis, prefix, CUTOFF);
    expect(r).toEqual({ buckets: 1, cleared: old.length + 1, deleted: 0 });
    // Kept slots: the same bytes (13 and 19 were never written: zero bytes, still zero).
    expect(await Promise.all(keptIds.map((id) => slotBytes(prefix, id)))).toEqual(before);
    for (const id of [...old, 11]) expect(await slotBytes(prefix, id), `slot ${id}`).toEqual(Buffer.alloc(LATEST_SLOT_BYTES));
    const got = await readLatest(redis, prefix, [1, 3, 10, 11, 12, 20]);
    expect(got.map(tsOf)).toEqual([undefined, CUTOFF + 3, CUTOFF, undefined, null, undefined]);
    // The string keeps its length: slots past a cleared one still sit at their offsets.
    expect(await redis.strlen(`${prefix}:latest:0`)).toBe(21 * LATEST_SLOT_BYTES);

    // A second pass finds nothing more; a cleared slot takes any reading again (the API's write-back).
    expect(await clearLatestOlderThan(redis, prefix, CUTOFF)).toEqual({ buckets: 1, cleared: 0, deleted: 0 });
    expect(await setLatestIfNewer(redis, prefix, [none(1), at(2, CUTOFF - 5)])).toBe(2);
  });

  it('handles many buckets: each cleared on its own, emptied ones deleted, a marker keeps its bucket', async () => {
    const prefix = own();
    const B = LATEST_BUCKET_POINTS;
    const entries: LatestEntry[] = [];
    for (let b = 0; b < 12; b++) {
      for (let s = 0; s < 40; s++) {
        const id = b * B + s * 97; // spread over the bucket, last slot near its end
        // Even buckets: every other point new; odd buckets: all old (bucket 5 with one marker).
        const fresh = b % 2 === 0 && s % 2 === 0;
        entries.push(b === 5 && s === 7 ? none(id) : at(id, fresh ? CUTOFF + s : CUTOFF - 1 - s));
      }
    }
    await setLatestIfNewer(redis, prefix, entries);
    const ids = entries.map((e) => e.pointId);
    const before = await readLatest(redis, prefix, ids);

    const r = await clearLatestOlderThan(redis, prefix, CUTOFF);
    const oldCount = entries.filter((e) => e.ts !== null && e.ts < CUTOFF).length;
    // The odd buckets other than 5 held only old readings: deleted.
    expect(r).toEqual({ buckets: 12, cleared: oldCount, deleted: 5 });
    const after = await readLatest(redis, prefix, ids);
    entries.forEach((e, i) => {
      if (e.ts !== null && e.ts < CUTOFF) expect(after[i], `point ${e.pointId}`).toBeUndefined();
      else expect(after[i], `point ${e.pointId}`).toBe(before[i]);
    });
    for (const b of [1, 3, 7, 9, 11]) expect(await redis.exists(`${prefix}:latest:${b}`)).toBe(0);
    expect(await redis.exists(`${prefix}:latest:5`)).toBe(1);
  });

  it('touches only bucket keys of its own prefix', async () => {
    const prefix = own();
    const other = own();
    await setLatestIfNewer(redis, prefix, [at(1, CUTOFF - 10), at(2, CUTOFF + 10)]);
    await setLatestIfNewer(redis, other, [at(1, CUTOFF - 10)]);
    // Matches the SCAN pattern but is no bucket (a hash: a script call on it would fail).
    await redis.hset(`${prefix}:latest:x`, 'a', '1');
    await redis.set(`${prefix}:latest-writer`, '1');
    expect(await clearLatestOlderThan(redis, prefix, CUTOFF)).toEqual({ buckets: 1, cleared: 1, deleted: 0 });
    expect((await readLatest(redis, other, [1]))[0]).toBeDefined();
    expect(await redis.hget(`${prefix}:latest:x`, 'a')).toBe('1');
    expect(await redis.get(`${prefix}:latest-writer`)).toBe('1');
    // No keys at all: nothing to do.
    expect(await clearLatestOlderThan(redis, own(), CUTOFF)).toEqual({ buckets: 0, cleared: 0, deleted: 0 });
  });

  it('never loses a newer reading written while it clears', async () => {
    // A writer on its own connection stores newer readings, bucket after bucket, for as long as the
    // clear runs: a clear that read a bucket and wrote zeros later (two steps) would wipe some of them.
    const prefix = own();
    const writer = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    try {
      const buckets = 64;
      const ids = Array.from({ length: buckets * 32 }, (_, i) => (i % buckets) * LATEST_BUCKET_POINTS + Math.floor(i / buckets));
      await setLatestIfNewer(
        redis,
        prefix,
        ids.map((id) => at(id, CUTOFF - 1_000)),
      );
      const newest = new Map<number, number>();
      let done = false;
      const clearing = clearLatestOlderThan(redis, prefix, CUTOFF).finally(() => {
        done = true;
      });
      for (let n = 0; !done; n++) {
        const batch = ids.filter((_, i) => i % 97 === n % 97).map((id) => at(id, CUTOFF + n));
        await setLatestIfNewer(writer, prefix, batch);
        for (const e of batch) newest.set(e.pointId, CUTOFF + n);
      }
      expect((await clearing).buckets).toBe(buckets);
      expect(newest.size).toBeGreaterThan(0);
      const got = await readLatest(redis, prefix, ids);
      // Every point: its newest reading from the writer, or nothing (its old one cleared).
      for (const [i, id] of ids.entries()) expect(tsOf(got[i]), `point ${id}`).toBe(newest.get(id));
    } finally {
      writer.disconnect();
    }
  });

  it('refuses a cutoff that is no time', async () => {
    await expect(clearLatestOlderThan(redis, own(), Number.NaN)).rejects.toThrow(RangeError);
  });
});
