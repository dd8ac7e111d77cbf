import type { Redis } from 'ioredis';
import { LATEST_SLOT_BYTES, latestBucketKeys } from './latest-values.js';

/**
 * Retention of the Redis copy of latest values (latest-values.ts). PostgreSQL drops readings
 * older than `READINGS_RETENTION_DAYS`; a point silent for longer would keep showing its last
 * value from the copy while the truth has none. So, after each prune, every slot whose reading
 * is older than the cutoff goes back to zero bytes ("unknown"): the API then probes PostgreSQL
 * for it once and writes back what it finds, the "no reading" marker when nothing is left.
 *
 * One script per bucket, so the check and the clear are one step: a newer reading written by
 * ingest meanwhile is either already there (its timestamp is at or after the cutoff: the slot is
 * left byte for byte) or lands after the clear. "No reading" markers and empty slots have no
 * timestamp and are left alone. A bucket with nothing left in it is deleted (same as all zeros
 * to a reader), so points removed from the registry do not keep their strings for ever.
 *
 * KEYS[1]: the bucket; ARGV: slot size, cutoff (epoch ms). Returns {slots cleared, 1 if deleted}.
 * Only runs of cleared slots are written (one SETRANGE each); a bucket is at most 4,096 × 80
 * bytes, a few ms of Redis CPU for the whole scan.
 */
const CLEAR_OLDER = `local size = tonumber(ARGV[1])
local cutoff = tonumber(ARGV[2])
local cur = redis.call('GET', KEYS[1])
if not cur then return {0, 0} end
local len = #cur
local cleared = 0
local kept = 0
local runStart = -1
for off = 0, len - 1, size do
  local ts = tonumber(string.match(cur, '^(%-?%d+),', off + 1))
  if ts ~= nil and ts < cutoff then
    if runStart < 0 then runStart = off end
    cleared = cleared + 1
  else
    if runStart >= 0 then
      redis.call('SETRANGE', KEYS[1], runStart, string.rep('\\0', off - runStart))
      runStart = -1
    end
    if string.byte(cur, off + 1) ~= 0 then kept = kept + 1 end
  end
end
if kept == 0 then
  redis.call('DEL', KEYS[1])
  return {cleared, 1}
end
if runStart >= 0 then redis.call('SETRANGE', KEYS[1], runStart, string.rep('\\0', len - runStart)) end
return {cleared, 0}`;

type Pipe = {
  hwLatestClearOlder(key: string, size: string, cutoff: string): void;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
};

export interface LatestRetentionResult {
  /** Bucket strings looked at. */
  buckets: number;
  /** Slots cleared (their reading was older than the cutoff). */
  cleared: number;
  /** Buckets deleted because nothing was left in them. */
  deleted: number;
}

/**
 * Clear every latest-values slot under `prefix` whose reading is older than `cutoffMs` (epoch
 * ms); slots at or after it, "no reading" markers and empty slots stay as they are. Buckets are
 * found by SCAN (a few hundred keys at most) and each is handled atomically by one script call,
 * pipelined per SCAN page. Rejects when Redis fails (the caller retries later: clearing twice
 * is harmless).
 */
export async function clearLatestOlderThan(redis: Redis, prefix: string, cutoffMs: number): Promise<LatestRetentionResult> {
  if (!Number.isFinite(cutoffMs)) throw new RangeError(`cutoffMs must be a finite epoch ms, got ${cutoffMs}`);
  if (typeof (redis as unknown as Partial<Pipe>).hwLatestClearOlder !== 'function')
    redis.defineCommand('hwLatestClearOlder', { numberOfKeys: 1, lua: CLEAR_OLDER });
  const out: LatestRetentionResult = { buckets: 0, cleared: 0, deleted: 0 };
  const cutoff = String(Math.floor(cutoffMs));
  for await (const buckets of latestBucketKeys(redis, prefix)) {
    const pipe = redis.pipeline() as unknown as Pipe;
    for (const key of buckets) pipe.hwLatestClearOlder(key, String(LATEST_SLOT_BYTES), cutoff);
    for (const [err, r] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      const [cleared, deleted] = r as [number, number];
      out.buckets++;
      out.cleared += cleared;
      out.deleted += deleted;
    }
  }
  return out;
}
