import { Redis } from 'ioredis';
import { uniqueToken } from './ids.js';

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of its own for one test (queues, rule state, streams). */
export function testRedisPrefix(): string {
  return `hwt-${uniqueToken()}`;
}

/** Delete every key under a prefix (a test's cleanup). */
export async function dropRedisPrefix(prefix: string, url = testRedisUrl()): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
