import { createRedis } from '@hazardwatch/queue';
import { dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createPartitionStore } from './partition-store.js';

const redis = createRedis(testRedisUrl());
const prefix = testRedisPrefix();
const store = createPartitionStore(redis, prefix);
afterAll(async () => {
  await dropRedisPrefix(prefix);
  redis.disconnect();
});

describe('partition store', () => {
  it('writes a job outcome only while the job lock holds the token', async () => {
    const lockKey = `${prefix}:evaluate-0:job-1:lock`;
    await redis.set(lockKey, 'token-a');
    const write = [{ ruleId: 'r1', json: '{"v":1}', version: 3, dueAt: 1_000 }];
    expect(await store.commit(0, { lockKey, token: 'token-b' }, write, new Map([['pt:1', [3, 5]]]))).toBe(false);
    expect((await store.read(0, ['r1'], ['pt:1'])).states.size).toBe(0);

    expect(await store.commit(0, { lockKey, token: 'token-a' }, write, new Map([['pt:1', [3, 5]]]))).toBe(true);
    const got = await store.read(0, ['r1', 'r2'], ['pt:1', 'pt:2']);
    expect(got.states.get('r1')).toBe('{"v":1}');
    expect(got.versions.get('r1')).toBe(3);
    expect(got.recent).toEqual(new Map([['pt:1', [3, 5]]]));
    // The layout before (one timestamp) reads as one remembered timestamp.
    await redis.hset(store.key(0, 'last'), 'pt:9', '7');
    expect((await store.read(0, [], ['pt:9'])).recent).toEqual(new Map([['pt:9', [7]]]));
    expect(await store.due(0, 999)).toEqual([]);
    expect(await store.due(0, 1_000)).toEqual(['r1']);

    // No deadline: never due.
    await store.commit(0, { lockKey, token: 'token-a' }, [{ ruleId: 'r1', json: '{"v":2}', version: 3, dueAt: null }], new Map());
    expect(await store.due(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('keeps the latest tick', async () => {
    await store.markTick(1, 2_000);
    await store.markTick(1, 1_000);
    expect(await store.latestTick(1)).toBe(2_000);
    expect(await store.latestTick(2)).toBeNull();
  });
});
