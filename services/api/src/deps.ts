import type { AlarmEvent, DispatchScope } from '@hazardwatch/contracts';
import type { Pool, SecretBox } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import type { Redis } from '@hazardwatch/queue';
import { z } from 'zod';
import type { LatestValuesSource } from './latest-body.js';
import type { SharedRateLimits } from './rate-limit-store.js';

/** Time source; tests pass a fixed one. Used for key expiry and recorded times. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Resolves when the dependency answers, rejects otherwise (a timeout is applied by /readyz). */
export type ReadinessProbe = () => Promise<unknown>;

const Limit = z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() }).strict();

/** The API's slice of the configuration, with defaults. */
export const ApiConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /**
     * Who may read /metrics: `public` (default; bind the API to a private address or let
     * the proxy guard the path), `api-key` (any admin key), or a static bearer token for
     * the Prometheus scraper (`bearer_token` in its scrape config).
     */
    metrics: z.union([z.literal('public'), z.literal('api-key'), z.object({ bearerToken: z.string().min(16) }).strict()]).default('public'),
    /** Failed authentications per client address before 429 (stops key guessing). */
    authFailureLimit: Limit.default({ max: 20, windowMs: 60_000 }),
    /** Expensive queries (series, CSV export, latest of a whole enterprise, imports) per key. */
    expensiveQueryLimit: Limit.default({ max: 120, windowMs: 60_000 }),
    /** Largest request body; site files are the large ones. */
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    /** Behind a reverse proxy: take the client address from X-Forwarded-For (rate limits are per address). */
    trustProxy: z.boolean().default(false),
    /** Most points one series or export request may name. */
    maxSeriesPoints: z.number().int().positive().default(50),
    /**
     * Longest range one rule backtest may cover. The rules worker also caps the stored rows
     * one backtest reads (`MAX_BACKTEST_ROWS`, answered with 413): a month of a 10-minute dam
     * sensor is small, a month of a 1 Hz gas detector is not.
     */
    maxBacktestRangeMs: z
      .number()
      .int()
      .positive()
      .default(31 * 86_400_000),
  })
  .strict();
export type ApiConfig = z.infer<typeof ApiConfigSchema>;
export type ApiConfigInput = z.input<typeof ApiConfigSchema>;

/**
 * Where the live stream's events come from: dispatch's `createLiveStream` (replay from
 * PostgreSQL after Last-Event-ID, then the Redis channel), or anything shaped like it.
 */
export interface LiveEventSource {
  subscribe(scope: DispatchScope, lastEventId?: number | string | null): AsyncIterableIterator<AlarmEvent> & { close(): void };
}

/**
 * Where latch resets go: the evaluation queues of the rules worker pool (the Redis connection,
 * `QUEUE_PREFIX` and `EVAL_PARTITIONS` ingest and the workers use). A reset of a rule's latched
 * alarm is a job in the rule's partition, so it is decided in order with the readings and the
 * engine's latch and the alarm row change together.
 */
export interface LatchResetQueues {
  /** A BullMQ-ready connection (`createRedis` of @hazardwatch/queue); the API only borrows it. */
  connection: Redis;
  prefix: string;
  /** Must equal ingest's and the workers' partition count, or a reset lands in the wrong queue. */
  partitions: number;
  /** How long a reset request waits for the worker's answer (default 15 s); the request stays queued after. */
  timeoutMs?: number;
}

/** What `buildApp` needs. Nothing here opens a connection: the caller owns pool and Redis. */
export interface ApiDeps {
  pool: Pool;
  log: Logger;
  config?: ApiConfigInput;
  clock?: Clock;
  /** When given, /readyz pings it (unless `readiness.redis` is given). */
  redis?: { ping(): Promise<unknown> };
  /** Extra readiness checks; the database is always checked. */
  readiness?: { redis?: ReadinessProbe; broker?: ReadinessProbe };
  /** Serves GET /api/v1/stream (SSE); without it that route answers 503. */
  liveStream?: LiveEventSource;
  /**
   * Called after an alarm action committed, with its events (dispatch's `publishEvents`:
   * the alarm-events queue and the live channel). Without it, dispatch's sweeper still finds
   * the events in PostgreSQL after its grace time, and live subscribers on their next replay.
   */
  publishEvents?: (events: readonly AlarmEvent[]) => Promise<void>;
  /**
   * Seals webhook target secrets (the same `createSecretBox({ key: DISPATCH_SECRET_KEY })`
   * dispatch opens them with). Without it, creating a target or rotating its secret answers 503.
   */
  dispatchSecrets?: SecretBox;
  /**
   * The rules worker's partition queues, for `POST /alarms/{id}/reset` of a rule's latched
   * alarm. Without it that reset answers 503 `HW_API_LATCH_RESET_UNAVAILABLE`.
   */
  latchReset?: LatchResetQueues;
  /**
   * Rate-limit counters shared by every API replica (Redis, under the deployment's prefix).
   * Without it each process counts on its own (one replica, or the embedded start).
   */
  rateLimits?: SharedRateLimits;
  /**
   * The Redis copy of each point's latest value that ingest keeps (same Redis and `QUEUE_PREFIX`):
   * `GET /telemetry/latest` reads it and probes PostgreSQL only for what it lacks. Without it
   * that route reads PostgreSQL only.
   */
  latestValues?: LatestValuesSource;
}
