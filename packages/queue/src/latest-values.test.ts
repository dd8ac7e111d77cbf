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

  it('compares timestamps as numbers, whatever their length or sign', async () => {
    const prefix = own();
    // As text, "1000" < "999" and "-10" > "-5": each pair is one slot, all in one run.
    const stored = [999, 1_000, -5, -5, 9_999_999_999_999, 0];
    const offered = [1_000, 999, 3, -10, 10_000_000_000_000, -1];
    await setLatestIfNewer(
      redis,
      prefix,
      stored.map((ts, i) => at(i + 1, ts)),
    );
    expect(
      await setLatestIfNewer(
        redis,
        prefix,
        offered.map((ts, i) => at(i + 1, ts)),
      ),
    ).toBe(3);
    const got = await readLatest(redis, prefix, [1, 2, 3, 4, 5, 6]);
    expect(got.map((t) => item(0, t).ts)).toEqual([1_000, 1_000, 3, -5, 10_000_000_000_000, 0]);
  });

  it('decides each slot of a run on its own: newer, older, markers, emptied slots and slots past the end', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(20, 500), none(21), at(22, 500), at(23, 500), none(24), at(25, 500)]);
    await forgetLatest(redis, prefix, [22]);
    // One run of 8 slots; 26 and 27 lie past the end of the bucket's string.
    const run = [at(20, 600), none(21), none(22), at(23, 400), at(24, 100), none(25), at(26, 1), none(27)];
    expect(await setLatestIfNewer(redis, prefix, run)).toBe(5);
    const ids = [20, 21, 22, 23, 24, 25, 26, 27];
    const got = (await readLatest(redis, prefix, ids)).map((t) => item(0, t));
    expect(got.map((x) => x.ts)).toEqual([600, null, null, 500, 100, 500, 1, null]);
    // The kept slots are the stored bytes, untouched: value and all.
    expect(got[3]).toEqual(item(0, at(23, 500).text));
    expect(got[5]).toEqual(item(0, at(25, 500).text));
    // A run wholly newer replaces every slot.
    expect(
      await setLatestIfNewer(
        redis,
        prefix,
        ids.map((id) => at(id, 700 + id)),
      ),
    ).toBe(8);
    expect((await readLatest(redis, prefix, ids)).map((t) => item(0, t).ts)).toEqual(ids.map((id) => 700 + id));
  });

  it("reads each slot's own timestamp, never the one of the slot before it", async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [at(30, 500), at(31, 500), at(32, 500), at(33, 100)]);
    await forgetLatest(redis, prefix, [31]);
    // 30 older: kept; 31 emptied: any reading fills it, an older one too; 32 newer; 33 a text
    // without a timestamp (as the marker): replaces no reading, whatever the slot before held.
    const run = [at(30, 400), at(31, 400), at(32, 900), { pointId: 33, ts: null, text: 'x' }];
    expect(await setLatestIfNewer(redis, prefix, run)).toBe(2);
    expect((await readLatest(redis, prefix, [30, 31, 32, 33])).map((t) => item(0, t).ts)).toEqual([500, 400, 900, 100]);
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
