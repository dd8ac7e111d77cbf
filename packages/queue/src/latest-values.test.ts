import { dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearLatest, forgetLatest, LATEST_BUCKET_POINTS, type LatestEntry, latestText, readLatest, setLatestIfNewer } from './latest-values.js';

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

const at = (pointId: number, ts: number, value = ts / 1000, quality: 'good' | 'fault' | 'maintenance' = 'good'): LatestEntry => ({
  pointId,
  ts,
  text: latestText(ts, value, quality),
});
const none = (pointId: number): LatestEntry => ({ pointId, ts: null, text: latestText(null, null, null) });
const item = (pointId: number, tail: string | undefined) => JSON.parse(`{"pointId":${pointId},"ts":${tail}}`);

describe('latest values in Redis', () => {
  it('keeps the newest reading of each point whatever the order the writes arrive in', async () => {
    const prefix = own();
    // Consecutive ids (one run), a gap, and another bucket.
    const ids = [1, 2, 3, 7, LATEST_BUCKET_POINTS + 5];
    const newer = ids.map((id) => at(id, 2_000_000 + id, id + 0.5, 'maintenance'));
    const older = ids.map((id) => at(id, 1_000_000 + id, -id, 'fault'));
    expect(await setLatestIfNewer(redis, prefix, newer)).toBe(5);
    expect(await setLatestIfNewer(redis, prefix, older)).toBe(0);
    const got = await readLatest(redis, prefix, ids);
    expect(got.map((t, i) => item(ids[i] ?? 0, t))).toEqual(ids.map((id) => ({ pointId: id, ts: 2_000_000 + id, value: id + 0.5, quality: 'maintenance' })));

    // The other order: older first, then newer, each replaces.
    const prefix2 = own();
    expect(await setLatestIfNewer(redis, prefix2, older)).toBe(5);
    expect(await setLatestIfNewer(redis, prefix2, newer)).toBe(5);
    expect(await readLatest(redis, prefix2, ids)).toEqual(got);
  });

  it('decides per point within one run: some slots replaced, the others kept', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(10, 500), at(11, 900), at(12, 500)]);
    expect(await setLatestIfNewer(redis, prefix, [at(10, 600), at(11, 800), at(12, 700)])).toBe(2);
    const got = await readLatest(redis, prefix, [10, 11, 12]);
    expect(got.map((t) => item(0, t).ts)).toEqual([600, 900, 700]);
  });

  it('keeps the first of equal timestamps, as the primary key of readings does', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(4, 1_000, 1)]);
    expect(await setLatestIfNewer(redis, prefix, [at(4, 1_000, 2)])).toBe(0);
    expect(item(4, (await readLatest(redis, prefix, [4]))[0]).value).toBe(1);
  });

  it('a "no reading" marker fills an empty slot only, and any reading replaces it', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(1, 100)]);
    expect(await setLatestIfNewer(redis, prefix, [none(1), none(2)])).toBe(1);
    expect(await setLatestIfNewer(redis, prefix, [none(2)])).toBe(0);
    const got = await readLatest(redis, prefix, [1, 2, 3]);
    expect(item(1, got[0]).ts).toBe(100);
    expect(item(2, got[1])).toEqual({ pointId: 2, ts: null, value: null, quality: null });
    expect(got[2]).toBeUndefined();
    expect(await setLatestIfNewer(redis, prefix, [at(2, 1)])).toBe(1);
    expect(item(2, (await readLatest(redis, prefix, [2]))[0]).ts).toBe(1);
  });

  it('answers in the order asked, unknown points (past the end, or in a bucket never written) as undefined', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(9, 9), at(3, 3)]);
    const got = await readLatest(redis, prefix, [9, 100, 3, 3 * LATEST_BUCKET_POINTS + 1]);
    expect(got.map((t) => (t === undefined ? undefined : item(0, t).ts))).toEqual([9, undefined, 3, undefined]);
    expect(await readLatest(redis, prefix, [])).toEqual([]);
  });

  it('keeps extreme values exact and non-finite ones as null', async () => {
    const prefix = own();
    const values = [-0.000123456789012345, 1e20, -1.7976931348623157e308, 5e-324];
    await setLatestIfNewer(
      redis,
      prefix,
      values.map((v, i) => at(i + 1, 1_700_000_000_000 + i, v, 'maintenance')),
    );
    await setLatestIfNewer(redis, prefix, [{ pointId: 9, ts: 1, text: latestText(1, Number.NaN, 'fault') }]);
    const got = await readLatest(redis, prefix, [1, 2, 3, 4, 9]);
    expect(got.slice(0, 4).map((t) => item(0, t).value)).toEqual(values);
    expect(item(9, got[4]).value).toBeNull();
  });

  it('forget empties slots and clear removes every key of the prefix only', async () => {
    const prefix = own();
    const other = own();
    await setLatestIfNewer(redis, prefix, [at(1, 1), at(2, 2), at(LATEST_BUCKET_POINTS, 3)]);
    await setLatestIfNewer(redis, other, [at(1, 1)]);
    await forgetLatest(redis, prefix, [2]);
    expect((await readLatest(redis, prefix, [1, 2])).map((t) => t !== undefined)).toEqual([true, false]);
    // A forgotten slot takes any reading again, even an older one.
    expect(await setLatestIfNewer(redis, prefix, [at(2, 1)])).toBe(1);
    expect(await clearLatest(redis, prefix)).toBe(2);
    expect(await readLatest(redis, prefix, [1, 2, LATEST_BUCKET_POINTS])).toEqual([undefined, undefined, undefined]);
    expect((await readLatest(redis, other, [1]))[0]).toBeDefined();
  });
});
