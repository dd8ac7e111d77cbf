import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * An ioredis connection suited to BullMQ: `maxRetriesPerRequest: null` so a
 * worker's blocking commands wait through a Redis restart instead of failing,
 * and reconnection forever with a capped backoff.
 */
export function createRedis(url: string, opts: RedisOptions & { onError?: (err: Error) => void } = {}): Redis {
  const { onError, ...rest } = opts;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
    ...rest,
  });
  // An emitter without an error listener crashes the process on the first reset connection.
  redis.on('error', (err) => onError?.(err));
  return redis;
}
