import type { Redis } from '@hazardwatch/queue';
import { decodeRecent, encodeRecent } from './input-recency.js';

/**
 * Rule state in Redis, per partition, under the queue prefix:
 * - `{prefix}:rw:p{n}:state` hash: rule id → engine state JSON (`RuleState` of @hazardwatch/rules);
 * - `{prefix}:rw:p{n}:ver`   hash: rule id → rule version the state was built with;
 * - `{prefix}:rw:p{n}:due`   sorted set: rule id by the engine's next deadline (`+inf`: none), so a
 *   tick evaluates only the rules something is due for;
 * - `{prefix}:rw:p{n}:last`  hash: `pt:<pointId>` / `veh:<vehicleId>` → timestamps of the last
 *   readings / positions evaluated, comma-separated, ascending (`input-recency.ts`: nothing at or
 *   before the newest is evaluated again; the others tell a redelivery from a late input);
 * - `{prefix}:rw:p{n}:tick`  the latest tick time enqueued (older tick jobs are skipped).
 * Fleet rules keep one state per partition (each partition sees its own vehicles).
 */
export type StoredStates = {
  states: Map<string, string>;
  versions: Map<string, number>;
  /** Per `pt:` / `veh:` field: the remembered evaluated timestamps, ascending (the newest last). */
  recent: Map<string, number[]>;
};

export type StateWrite = { ruleId: string; json: string; version: number; dueAt: number | null };

/**
 * Writes a job's outcome atomically, and only while the job is still ours: the BullMQ lock key
 * must still hold our token. A worker that lost its lock (stalled, taken over by another
 * worker) can therefore never write an older state over a newer one.
 */
const COMMIT_LUA = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
local i = 3
for _ = 1, n do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[4], ARGV[i + 3], ARGV[i])
  i = i + 4
end
local m = tonumber(ARGV[i])
i = i + 1
for _ = 1, m do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  i = i + 2
end
return 1
`;

/** SET the tick key to the larger of its value and ARGV[1]. */
const TICK_MAX_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`;

export function createPartitionStore(redis: Redis, prefix: string) {
  const key = (p: number, what: 'state' | 'ver' | 'due' | 'last' | 'tick') => `${prefix}:rw:p${p}:${what}`;

  return {
    key,

    /** States, versions and last-evaluated times, in one round trip. */
    async read(p: number, ruleIds: readonly string[], lastFields: readonly string[]): Promise<StoredStates> {
      const pipe = redis.pipeline();
      if (ruleIds.length > 0) {
        pipe.hmget(key(p, 'state'), ...ruleIds);
        pipe.hmget(key(p, 'ver'), ...ruleIds);
      }
      if (lastFields.length > 0) pipe.hmget(key(p, 'last'), ...lastFields);
      const res = (await pipe.exec()) ?? [];
      const values: Array<Array<string | null>> = [];
      for (const [err, v] of res) {
        if (err) throw err;
        values.push(Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : null)) : []);
      }
      const out: StoredStates = { states: new Map(), versions: new Map(), recent: new Map() };
      let k = 0;
      if (ruleIds.length > 0) {
        const states = values[k++] ?? [];
        const vers = values[k++] ?? [];
        ruleIds.forEach((id, i) => {
          const s = states[i];
          if (s) out.states.set(id, s);
          const v = vers[i];
          if (v) out.versions.set(id, Number(v));
        });
      }
      if (lastFields.length > 0) {
        const last = values[k++] ?? [];
        lastFields.forEach((f, i) => {
          const v = last[i];
          if (v) out.recent.set(f, decodeRecent(v));
        });
      }
      return out;
    },

    /** Versions the stored states were built with. */
    async versions(p: number, ruleIds: readonly string[]): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      if (ruleIds.length === 0) return out;
      const vs = await redis.hmget(key(p, 'ver'), ...ruleIds);
      ruleIds.forEach((id, i) => {
        const v = vs[i];
        if (v) out.set(id, Number(v));
      });
      return out;
    },

    /** Rules whose next deadline is at or before `t`. */
    async due(p: number, t: number): Promise<string[]> {
      return redis.zrangebyscore(key(p, 'due'), '-inf', t);
    },

    /**
     * Writes states and remembered evaluated timestamps (whole, ascending) if the job's lock
     * (`lockKey`) still holds `token` (empty token: no fence). Returns false when the lock was
     * lost and nothing was written.
     */
    async commit(
      p: number,
      fence: { lockKey: string; token: string },
      states: readonly StateWrite[],
      last: ReadonlyMap<string, readonly number[]>,
    ): Promise<boolean> {
      if (states.length === 0 && last.size === 0) return true;
      const args: Array<string | number> = [fence.token, states.length];
      for (const s of states) args.push(s.ruleId, s.json, s.version, s.dueAt === null ? '+inf' : s.dueAt);
      args.push(last.size);
      for (const [f, ts] of last) args.push(f, encodeRecent(ts));
      const r = await redis.eval(COMMIT_LUA, 5, fence.lockKey, key(p, 'state'), key(p, 'ver'), key(p, 'due'), key(p, 'last'), ...args);
      return r === 1;
    },

    async markTick(p: number, at: number): Promise<void> {
      await redis.eval(TICK_MAX_LUA, 1, key(p, 'tick'), at);
    },

    async latestTick(p: number): Promise<number | null> {
      const v = await redis.get(key(p, 'tick'));
      return v === null ? null : Number(v);
    },
  };
}
export type PartitionStore = ReturnType<typeof createPartitionStore>;
