import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { atMostEvery, counter, type Logger } from '@hazardwatch/observability';
import type { Redis } from '@hazardwatch/queue';

/**
 * Where the API's rate-limit counters live when several replicas serve one deployment: one
 * Redis, under `prefix` (a deployment's or a test's own). The connection is the caller's and
 * should be its own, made not to queue while Redis is away (`enableOfflineQueue: false`), so
 * an outage answers at once instead of holding requests.
 */
export interface SharedRateLimits {
  redis: Redis;
  prefix: string;
  /** Longest wait for Redis per check before the local counters decide (default 200 ms). */
  timeoutMs?: number;
}

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;

// Fixed window, as @fastify/rate-limit's own Redis store: the first hit of a window sets its expiry.
const INCR = `local c = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ttl) else ttl = redis.call('PTTL', KEYS[1]) end
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {c, ttl}`;
const READ = `local c = redis.call('GET', KEYS[1])
if not c then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(c), ttl}`;

type ScriptedRedis = Redis & {
  hwRateLimitIncr(key: string, windowMs: number): Promise<[number, number]>;
  hwRateLimitRead(key: string): Promise<[number, number]>;
};

/** Per-process fixed-window counters: the fallback while Redis cannot answer. Bounded in size. */
export class LocalCounters {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(private readonly maxKeys = 10_000) {}

  incr(key: string, windowMs: number, now = Date.now()): Result {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      this.windows.delete(key);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
      this.bound(now);
    }
    w.count += 1;
    return { current: w.count, ttl: w.resetAt - now };
  }

  read(key: string, now = Date.now()): Result {
    const w = this.windows.get(key);
    return !w || w.resetAt <= now ? { current: 0, ttl: 0 } : { current: w.count, ttl: w.resetAt - now };
  }

  private bound(now: number): void {
    if (this.windows.size <= this.maxKeys) return;
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Still too many live keys (many addresses in one window): forget the oldest windows.
    for (const k of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate-limit store: no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A @fastify/rate-limit store whose counters are shared by every replica through Redis.
 *
 * When Redis cannot answer (down, unreachable, slower than `timeoutMs`) it fails **open to
 * per-process counters**: each replica then enforces the same limits on its own, as the API
 * did before the counters were shared. Failing closed would turn a Redis outage into an API
 * outage (every authenticated request checks the authentication-failure counter), and this
 * API serves alarm acknowledgement and live values during incidents; failing fully open would
 * drop the key-guessing and expensive-query protection exactly while something is already
 * wrong. The cost: during an outage a client can get up to (replicas × max) per window.
 * Each fallback is counted (`hazardwatch_api_rate_limit_fallbacks_total`) and logged at most
 * once a minute.
 */
export function sharedRateLimitStore(shared: SharedRateLimits, log: Logger): FastifyRateLimitStoreCtor {
  const redis = shared.redis as ScriptedRedis;
  if (typeof redis.hwRateLimitIncr !== 'function') {
    redis.defineCommand('hwRateLimitIncr', { numberOfKeys: 1, lua: INCR });
    redis.defineCommand('hwRateLimitRead', { numberOfKeys: 1, lua: READ });
  }
  const timeoutMs = shared.timeoutMs ?? 200;
  const fallbacks = counter('hazardwatch_api_rate_limit_fallbacks_total', 'Rate-limit checks decided by per-process counters because Redis did not answer');
  const warnNow = atMostEvery(60_000);
  const fellBack = (err: unknown) => {
    fallbacks.inc();
    if (!warnNow()) return;
    log.warn({ err }, 'rate limits: Redis did not answer; per-process counters decide until it does');
  };

  class SharedStore implements FastifyRateLimitStore {
    private readonly local = new LocalCounters();
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly namespace = `${shared.prefix}:rate-limit:`,
    ) {}

    incr(key: string, cb: Callback, timeWindow: number): void {
      withTimeout(redis.hwRateLimitIncr(this.namespace + key, timeWindow), timeoutMs).then(
        ([current, ttl]) => cb(null, { current, ttl }),
        (err: unknown) => {
          fellBack(err);
          cb(null, this.local.incr(key, timeWindow));
        },
      );
    }

    read(key: string, cb: Callback): void {
      withTimeout(redis.hwRateLimitRead(this.namespace + key), timeoutMs).then(
        ([current, ttl]) => cb(null, { current, ttl }),
        (err: unknown) => {
          fellBack(err);
          cb(null, this.local.read(key));
        },
      );
    }

    /**
     * One counter space per route (as the plugin's own stores); `createRateLimit` limiters have
     * no route. The plugin passes its merged route parameters, whose `routeInfo` its types omit.
     */
    child(routeOptions: object): FastifyRateLimitStore {
      const r = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo;
      const route = r?.url ? `${[r.method ?? ''].flat().join(',')}${r.url}:` : '';
      return new SharedStore({}, `${this.namespace}${route}`);
    }
  }
  return SharedStore;
}
