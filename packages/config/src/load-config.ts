import { EscalationPolicySchema, RetryPolicySchema } from '@hazardwatch/alarms';
import { HazardError } from '@hazardwatch/contracts';
import type { z } from 'zod';
import { type DispatchEnvSchema, EnvSchema } from './env-schema.js';

export type Config = Readonly<ReturnType<typeof shape>>;

/** Raised when the environment is wrong; `issues` names each variable and what is wrong with it. */
export class ConfigError extends HazardError {
  declare readonly code: 'HW_CONFIG_INVALID';
  constructor(readonly issues: readonly string[]) {
    super('HW_CONFIG_INVALID', `invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

function shape(env: z.infer<typeof EnvSchema>) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    db: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      embeddedPort: env.EMBEDDED_PG_PORT,
      readingsRetentionDays: env.READINGS_RETENTION_DAYS,
      positionsRetentionDays: env.POSITIONS_RETENTION_DAYS,
      timescale: env.TIMESCALE,
    },
    retention: {
      /** 0: this process does not prune (another one does; they take turns under an advisory lock anyway). */
      intervalMs: env.RETENTION_PRUNE_INTERVAL_MS,
    },
    rollup: {
      /** 0: this process does not refresh (another one does; they take turns under an advisory lock anyway). */
      intervalMs: env.ROLLUP_REFRESH_INTERVAL_MS,
      lagMs: env.ROLLUP_REFRESH_LAG_MS,
      maxSpanMs: env.ROLLUP_REFRESH_MAX_SPAN_MS,
    },
    redis: { url: env.REDIS_URL, latestValues: env.LATEST_VALUES_REDIS ?? true },
    queue: { prefix: env.QUEUE_PREFIX, partitions: env.EVAL_PARTITIONS },
    mqtt: {
      url: env.MQTT_URL,
      username: env.MQTT_USERNAME,
      password: env.MQTT_PASSWORD,
      topicPrefix: env.MQTT_TOPIC_PREFIX,
      embeddedPort: env.EMBEDDED_MQTT_PORT,
    },
    ingest: {
      shareGroup: env.INGEST_SHARE_GROUP,
      clientId: env.INGEST_CLIENT_ID,
      connections: env.INGEST_CONNECTIONS,
      batchMaxRows: env.INGEST_BATCH_MAX_ROWS,
      batchMaxWaitMs: env.INGEST_BATCH_MAX_WAIT_MS,
      maxPayloadBytes: env.INGEST_MAX_PAYLOAD_BYTES,
      maxFutureSkewMs: env.INGEST_MAX_FUTURE_SKEW_MS,
      maxAgeMs: env.INGEST_MAX_AGE_MS,
      deadLetterMaxPayloadBytes: env.DEAD_LETTER_MAX_PAYLOAD_BYTES,
    },
    rulesWorker: {
      tickMs: env.RULES_WORKER_TICK_MS,
      tickLagMs: env.RULES_WORKER_TICK_LAG_MS,
      lockMs: env.RULES_WORKER_LOCK_MS,
      stalledCheckMs: env.RULES_WORKER_STALLED_CHECK_MS,
      ruleCheckMs: env.RULES_WORKER_RULE_CHECK_MS,
      retry: { minMs: env.RULES_WORKER_RETRY_MIN_MS, maxMs: env.RULES_WORKER_RETRY_MAX_MS },
      maxAttempts: env.RULES_WORKER_MAX_ATTEMPTS,
      /** Unset: every partition. */
      partitions: env.RULES_WORKER_PARTITIONS,
      /** Unset: host:pid. */
      name: env.RULES_WORKER_NAME,
      lateLogMs: env.RULES_WORKER_LATE_LOG_MS,
    },
    dispatch: dispatchShape(env),
    api: { host: env.API_HOST, port: env.API_PORT },
    simulator: env.SIMULATOR,
  };
}

/** Dispatch's settings, every duration in ms. */
function dispatchShape(env: z.infer<typeof DispatchEnvSchema>) {
  return {
    deliveryConcurrency: env.DISPATCH_DELIVERY_CONCURRENCY,
    fanOutConcurrency: env.DISPATCH_FANOUT_CONCURRENCY,
    targetCacheMs: env.DISPATCH_TARGET_CACHE_MS,
    perTargetConcurrency: env.DISPATCH_PER_TARGET_CONCURRENCY,
    requestTimeoutMs: env.DISPATCH_REQUEST_TIMEOUT_MS,
    retry: RetryPolicySchema.parse({
      baseMs: env.DISPATCH_RETRY_BASE_MS,
      maxMs: Math.max(env.DISPATCH_RETRY_MAX_MS, env.DISPATCH_RETRY_BASE_MS),
      maxAttempts: env.DISPATCH_RETRY_MAX_ATTEMPTS,
      maxRetryAfterMs: env.DISPATCH_RETRY_AFTER_MAX_MS,
    }),
    escalationPolicy: env.DISPATCH_ESCALATION_POLICY ?? EscalationPolicySchema.parse({}),
    escalationTickMs: env.DISPATCH_ESCALATION_TICK_MS,
    offlineAfterMs: env.DISPATCH_OFFLINE_AFTER_MS,
    offlineCheckMs: env.DISPATCH_OFFLINE_CHECK_MS,
    offlineInterruptedShare: env.DISPATCH_OFFLINE_INTERRUPTED_SHARE,
    sweepMs: env.DISPATCH_SWEEP_MS,
    sweepGraceMs: env.DISPATCH_SWEEP_GRACE_MS,
    lockMs: env.DISPATCH_LOCK_MS,
    secretKey: env.DISPATCH_SECRET_KEY,
    previousSecretKeys: env.DISPATCH_SECRET_KEYS_PREVIOUS ?? [],
  };
}

/**
 * Parse the environment once (call from `main.ts` only). Empty strings count as
 * unset. Every wrong variable is reported, by name, in one error.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.path.join('.') || '(env)'}: ${i.message}${redactable(i.path) ? '' : ` (got ${JSON.stringify(cleaned[String(i.path[0])])})`}`,
      ),
    );
  }
  return deepFreeze(shape(parsed.data));
}

/** Never echo values of variables that may hold secrets. */
function redactable(path: PropertyKey[]): boolean {
  return /PASSWORD|SECRET|TOKEN|KEY|_URL/.test(String(path[0] ?? ''));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * For `main.ts`: load the configuration, or print what is wrong (one line per
 * variable, no stack trace) and exit with status 2.
 */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
