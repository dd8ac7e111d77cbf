import { createLogger } from '@hazardwatch/observability';
import { createRedis, latestText, latestWriterLive, readLatest, setLatestIfNewer } from '@hazardwatch/queue';
import { dropRedisPrefix, startOwnRedis, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatestValuesWriter } from './latest-values.js';
import type { MessageRows, RoutedReading } from './validate.js';

const log = createLogger({ level: 'silent' });
const redis = createRedis(testRedisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
const prefixes: string[] = [];
const own = () => {
  const p = testRedisPrefix();
  prefixes.push(p);
  return p;
};
beforeAll(async () => {
  if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
});
afterAll(async () => {
  for (const p of prefixes) await dropRedisPrefix(p);
  redis.disconnect();
});

const reading = (pointId: number, ts: number, value = ts, rejected = false): RoutedReading => ({
  pointId,
  ts,
  value,
  quality: rejected ? 'fault' : 'good',
  hazardSourceId: 'hs-1',
  rejected,
});
const refused: MessageRows['deadLetters'][number] = {
  topic: 'hw/v1/e/d/telemetry',
  enterpriseId: 'e',
  deviceId: 'd',
  reason: 'storage_rejected',
  detail: 'database refused the rows',
  payload: Buffer.alloc(0),
  payloadBytes: 0,
  truncated: false,
};
const tsOf = async (prefix: string, ids: number[], r = redis) =>
  (await readLatest(r, prefix, ids)).map((t) => (t === undefined ? undefined : (JSON.parse(`{"ts":${t}}`) as { ts: number | null }).ts));

describe('LatestValuesWriter', () => {
  it('writes the newest stored reading of each point, whatever the order batches arrive in', async () => {
    const prefix = own();
    const w = new LatestValuesWriter({ redis, prefix, log });
    w.record([reading(1, 300), reading(2, 100), reading(1, 200), reading(3, 999, 5e9, true)]);
    await w.idle();
    // A redelivered or late batch: older readings, one point newer.
    w.record([reading(1, 250), reading(2, 50), reading(2, 150)]);
    await w.idle();
    expect(await tsOf(prefix, [1, 2, 3])).toEqual([300, 150, undefined]);
    await w.stop();
  });

  it('clears what an earlier writer left before its first write (it may have died before writing its last batch)', async () => {
    const prefix = own();
    await setLatestIfNewer(redis, prefix, [{ pointId: 7, ts: 5_000, text: latestText(5_000, 1, 'good') }]);
    const w = new LatestValuesWriter({ redis, prefix, log });
    w.record([reading(1, 10)]);
    await w.idle();
    expect(await tsOf(prefix, [1, 7])).toEqual([10, undefined]);
    await w.stop();
  });

  it('forgets the points of a batch the database refused in part, instead of writing them', async () => {
    const prefix = own();
    const w = new LatestValuesWriter({ redis, prefix, log });
    w.record([reading(1, 10), reading(2, 10)]);
    await w.idle();
    w.record([reading(1, 20), reading(3, 20)], [refused]);
    // A later, older reading of a forgotten point must not bring an old value back meanwhile.
    w.record([reading(1, 15)]);
    await w.idle();
    expect(await tsOf(prefix, [1, 2, 3])).toEqual([undefined, 10, undefined]);
    w.record([reading(1, 30)]);
    await w.idle();
    expect(await tsOf(prefix, [1])).toEqual([30]);
    await w.stop();
  });

  it('vouches for the copy only while it writes it: marked after a good write, renewed while idle, unmarked when a write fails or it stops', async () => {
    const prefix = own();
    const w = new LatestValuesWriter({ redis, prefix, log, liveTtlMs: 300 });
    expect(await latestWriterLive(redis, prefix)).toBe(false);
    w.record([reading(1, 10)]);
    await w.idle();
    expect(await latestWriterLive(redis, prefix)).toBe(true);
    // Idle for three lifetimes of the mark: the heartbeat keeps it.
    await new Promise((r) => setTimeout(r, 900));
    expect(await latestWriterLive(redis, prefix)).toBe(true);
    await w.stop();
    expect(await latestWriterLive(redis, prefix)).toBe(false);

    // A writer whose writes fail drops the mark (here: Redis answers, but the script's key holds the wrong type).
    const bad = own();
    const w2 = new LatestValuesWriter({ redis, prefix: bad, log, liveTtlMs: 60_000, retry: { minMs: 60_000, maxMs: 60_000 } });
    w2.record([reading(1, 10)]); // first flush clears the copy, so this one succeeds and marks
    await w2.idle();
    expect(await latestWriterLive(redis, bad)).toBe(true);
    await redis.del(`${bad}:latest:0`);
    await redis.hset(`${bad}:latest:0`, 'x', '1');
    w2.record([reading(2, 10)]);
    await waitFor(() => w2.waiting === 1 && !w2.busy, { timeoutMs: 5_000 });
    await waitFor(async () => !(await latestWriterLive(redis, bad)), { timeoutMs: 5_000 });
    await w2.stop();
  });

  it('never throws or waits while Redis is down, and writes what is waiting once it is back', async () => {
    const server = await startOwnRedis();
    const ownRedis = createRedis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, retryStrategy: () => 50 });
    try {
      if (ownRedis.status !== 'ready') await new Promise((r) => ownRedis.once('ready', r));
      const prefix = 'latest-down';
      const w = new LatestValuesWriter({ redis: ownRedis, prefix, log, retry: { minMs: 20, maxMs: 100 } });
      await server.stop();
      const t = performance.now();
      w.record([reading(1, 10), reading(2, 20)]);
      w.record([reading(1, 5)]);
      expect(performance.now() - t).toBeLessThan(50);
      await waitFor(() => w.waiting === 2 && !w.busy, { timeoutMs: 5_000 });
      await server.restart();
      await waitFor(async () => JSON.stringify(await tsOf(prefix, [1, 2], ownRedis).catch(() => [])) === '[10,20]', { timeoutMs: 10_000 });
      expect(w.waiting).toBe(0);
      await w.stop();
    } finally {
      ownRedis.disconnect();
      await server.dispose();
    }
  });
});
