import { EscalationPolicySchema } from '@hazardwatch/alarms';
import { z } from 'zod';

/** `true/false/1/0/yes/no/on/off`, case-insensitive; anything else is an error. */
export const BoolFromEnv = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: RegExp) =>
  z
    .string()
    .trim()
    .url()
    .refine((u) => protocols.test(new URL(u).protocol), `unsupported protocol (expected ${protocols.source})`);

/** A JSON document in an environment variable, parsed then validated by `schema`. */
function jsonEnv<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON document' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const base64Key = z
  .string()
  .trim()
  .refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

/** `0,2,5-7`: a set of partition numbers, ascending, each once. */
const PartitionList = z
  .string()
  .transform((text, ctx) => {
    const out = new Set<number>();
    for (const part of text.split(',').map((p) => p.trim())) {
      const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
      const from = Number(m?.[1]);
      const to = m?.[2] === undefined ? from : Number(m[2]);
      if (!m || to < from) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not a partition number or range (e.g. 0,2,5-7)` });
        return z.NEVER;
      }
      for (let n = from; n <= to; n++) out.add(n);
    }
    return [...out].sort((a, b) => a - b);
  })
  .pipe(z.array(z.number().int().min(0).max(1023)).min(1));

/**
 * The rules worker's knobs. Not here on purpose: its concurrency, which is 1 per partition
 * across the whole pool (that is what keeps a source's order); scale with more processes and
 * partitions instead.
 */
const RulesWorkerEnv = {
  /** Tick of time-based conditions (delays, interruptions, response timeouts), per partition. */
  RULES_WORKER_TICK_MS: int(100, 60_000).default(1000),
  /** A tick evaluates at its slot minus this, so readings still in ingest's batch are not late. */
  RULES_WORKER_TICK_LAG_MS: int(0, 60_000).default(1000),
  /** BullMQ lock of an active job: a dead worker's job runs again after at most this. */
  RULES_WORKER_LOCK_MS: int(1000, 600_000).default(10_000),
  /** How often jobs of dead workers (lock run out) are looked for. */
  RULES_WORKER_STALLED_CHECK_MS: int(100, 600_000).default(5000),
  /** How often cached rule versions are compared with the database (besides LISTEN hw_rules_changed). */
  RULES_WORKER_RULE_CHECK_MS: int(1000, 3_600_000).default(30_000),
  /** Backoff of retries inside a job (outages of PostgreSQL or Redis): doubling from min to max. */
  RULES_WORKER_RETRY_MIN_MS: int(1, 60_000).default(100),
  RULES_WORKER_RETRY_MAX_MS: int(1, 600_000).default(5000),
  /** Attempts given to an error that is not an outage before the job fails. */
  RULES_WORKER_MAX_ATTEMPTS: int(1, 100).default(5),
  /** Partitions this process serves (e.g. `0-7`); unset: all. Any process may serve any partition. */
  RULES_WORKER_PARTITIONS: PartitionList.optional(),
  /** This pool member's name on the jobs it processes; unset: host:pid. */
  RULES_WORKER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/)
    .optional(),
  /** At most one warning about late readings per this interval. */
  RULES_WORKER_LATE_LOG_MS: int(0, 3_600_000).default(10_000),
};

/**
 * Dispatch's knobs. Every duration is in ms, so a test can scale the issue's minutes down to
 * seconds.
 */
const DispatchEnv = {
  /** Delivery jobs in flight per process (HTTP requests are I/O: many is cheap). */
  DISPATCH_DELIVERY_CONCURRENCY: int(1, 4096).default(64),
  /** How long the fan-out reuses the list of enabled targets: a new or changed target gets events after at most this. */
  DISPATCH_TARGET_CACHE_MS: int(0, 60_000).default(1000),
  /** Alarm events fanned out at once per process. */
  DISPATCH_FANOUT_CONCURRENCY: int(1, 256).default(8),
  /** Requests in flight to one target per process: a slow or dead target can hold no more worker slots than this. */
  DISPATCH_PER_TARGET_CONCURRENCY: int(1, 256).default(4),
  /** Whole request (connect, send, response and body) to a receiver. */
  DISPATCH_REQUEST_TIMEOUT_MS: int(100, 300_000).default(10_000),
  /** Retry schedule (alarms `RetryPolicySchema`): full-jitter exponential backoff, Retry-After honoured as a floor. */
  DISPATCH_RETRY_BASE_MS: int(1, 3_600_000).default(1000),
  DISPATCH_RETRY_MAX_MS: int(1, 86_400_000).default(5 * 60_000),
  DISPATCH_RETRY_MAX_ATTEMPTS: int(1, 1000).default(15),
  DISPATCH_RETRY_AFTER_MAX_MS: int(0, 86_400_000).default(3_600_000),
  /**
   * Escalation policy as JSON (alarms `EscalationPolicySchema`): `{ "defaults"?: {…per colour…},
   * "regions"?: [{ "regionPrefix": "37", "source": "…", "colours": { "red": { "escalateAfterMs": 180000 } } }] }`.
   * Absent: the house defaults (red 5 min, orange 15, yellow 30, blue never leaves the enterprise).
   */
  DISPATCH_ESCALATION_POLICY: jsonEnv(EscalationPolicySchema).optional(),
  /** How often due escalation timers are polled. */
  DISPATCH_ESCALATION_TICK_MS: int(50, 600_000).default(1000),
  /** An enterprise with no reading or position for this long is offline [unconfirmed: no standard figure; 10 min default]. */
  DISPATCH_OFFLINE_AFTER_MS: int(1000, 7 * 86_400_000).default(10 * 60_000),
  /**
   * Share of an enterprise's interruption-watched points in an active interruption alarm at once
   * that makes it offline (0 < x ≤ 1; 1 = all of them) [unconfirmed: no standard figure].
   */
  DISPATCH_OFFLINE_INTERRUPTED_SHARE: z.coerce.number().gt(0).max(1).default(1),
  /** How often the newest data time per enterprise is checked; 0 turns offline detection off. */
  DISPATCH_OFFLINE_CHECK_MS: int(0, 3_600_000).default(30_000),
  /** How often the sweeper looks for events without a fan-out and deliveries without a job. */
  DISPATCH_SWEEP_MS: int(100, 600_000).default(5000),
  /** How long an event may wait for its own job (or a pending delivery for its job) before the sweeper acts. */
  DISPATCH_SWEEP_GRACE_MS: int(100, 3_600_000).default(30_000),
  /** BullMQ job lock: a crashed process's active jobs run again this long after it died. */
  DISPATCH_LOCK_MS: int(1000, 600_000).default(30_000),
  /** Key sealing target secrets at rest (AES-256-GCM); unset stores them as-is (development only). */
  DISPATCH_SECRET_KEY: base64Key.optional(),
  /** Earlier keys, comma-separated, still accepted to open secrets after a rotation. */
  DISPATCH_SECRET_KEYS_PREVIOUS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k.length > 0),
    )
    .pipe(z.array(base64Key))
    .optional(),
};

/** Dispatch's variables alone (the DISPATCH_* part of {@link EnvSchema}). */
export const DispatchEnvSchema = z.object(DispatchEnv);

/** Every environment variable hazardwatch reads, with the defaults of the embedded start. */
export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data'),

    DATABASE_URL: url(/^postgres(ql)?:$/).optional(),
    DATABASE_POOL_MAX: int(1, 200).default(10),
    EMBEDDED_PG_PORT: int(1, 65535).default(5433),
    READINGS_RETENTION_DAYS: int(30, 36500).default(30),
    POSITIONS_RETENTION_DAYS: int(183, 36500).default(183),
    // How often ingest (and the embedded start) applies retention on plain PostgreSQL and to the
    // Redis copy of latest values (packages/db retention-pruner.ts); 0: not in this process.
    RETENTION_PRUNE_INTERVAL_MS: int(0, 86_400_000).default(3_600_000),
    TIMESCALE: z.enum(['auto', 'on', 'off']).default('auto'),
    // Plain PostgreSQL's per-minute / per-hour rollup (packages/db rollup-refresher.ts); unused on TimescaleDB.
    ROLLUP_REFRESH_INTERVAL_MS: int(0, 3_600_000).default(30_000),
    ROLLUP_REFRESH_LAG_MS: int(0, 86_400_000).default(60_000),
    ROLLUP_REFRESH_MAX_SPAN_MS: int(60_000, 7 * 86_400_000).default(3_600_000),

    REDIS_URL: url(/^rediss?:$/).default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_:-]{1,64}$/)
      .default('hw'),
    EVAL_PARTITIONS: int(1, 1024).default(16),
    // Ingest keeps each point's latest value in Redis and the API reads it (docs/architecture.md).
    // On by default: the 10,000-point latest answer takes ~8 ms from it against ~40 ms from
    // PostgreSQL, for ~1.1 µs of Redis CPU per stored reading (docs/benchmarks.md, API).
    // Set it the same for ingest and the API (the API uses the copy only while a writer vouches for it).
    LATEST_VALUES_REDIS: BoolFromEnv.optional(),

    MQTT_URL: url(/^(mqtts?|wss?|tcp):$/).optional(),
    MQTT_USERNAME: z.string().optional(),
    MQTT_PASSWORD: z.string().optional(),
    MQTT_TOPIC_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9_-]+\/)*$/, 'must be empty or end with /')
      .default(''),
    EMBEDDED_MQTT_PORT: int(0, 65535).default(1884),

    INGEST_SHARE_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('ingest'),
    INGEST_CLIENT_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .default('hw-ingest-0'),
    // 256 × one unacknowledged message each: room to catch up after a stall (docs/benchmarks.md, Rules).
    INGEST_CONNECTIONS: int(1, 1024).default(256),
    INGEST_BATCH_MAX_ROWS: int(1, 100_000).default(5000),
    // A lone alarm reading waits at most this long for company before its COMMIT.
    INGEST_BATCH_MAX_WAIT_MS: int(1, 10_000).default(20),
    INGEST_MAX_PAYLOAD_BYTES: int(64, 16 * 1024 * 1024).default(256 * 1024),
    INGEST_MAX_FUTURE_SKEW_MS: int(0, 86_400_000).default(300_000),
    INGEST_MAX_AGE_MS: int(60_000, 3650 * 86_400_000).default(30 * 86_400_000),
    DEAD_LETTER_MAX_PAYLOAD_BYTES: int(0, 1024 * 1024).default(16 * 1024),

    ...RulesWorkerEnv,
    ...DispatchEnv,

    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: int(0, 65535).default(8080),

    SIMULATOR: z.enum(['plant', 'off']).default('plant'),
  })
  .superRefine((env, ctx) => {
    if (env.RULES_WORKER_RETRY_MAX_MS < env.RULES_WORKER_RETRY_MIN_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['RULES_WORKER_RETRY_MAX_MS'],
        message: `must not be below RULES_WORKER_RETRY_MIN_MS (${env.RULES_WORKER_RETRY_MIN_MS})`,
      });
    const beyond = env.RULES_WORKER_PARTITIONS?.filter((p) => p >= env.EVAL_PARTITIONS) ?? [];
    if (beyond.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['RULES_WORKER_PARTITIONS'],
        message: `partitions ${beyond.join(', ')} do not exist (EVAL_PARTITIONS is ${env.EVAL_PARTITIONS}: 0 to ${env.EVAL_PARTITIONS - 1})`,
      });
  });
export type Env = z.infer<typeof EnvSchema>;
