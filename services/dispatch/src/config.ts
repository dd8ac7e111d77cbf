import { EscalationPolicySchema, RetryPolicySchema } from '@hazardwatch/alarms';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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

/**
 * Dispatch's own environment variables. The shared ones (DATABASE_URL, REDIS_URL,
 * QUEUE_PREFIX, LOG_LEVEL) come from `@hazardwatch/config`. Every duration is in ms,
 * so a test can scale the issue's minutes down to seconds.
 */
export const DispatchEnvSchema = z.object({
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
});

function shape(env: z.infer<typeof DispatchEnvSchema>) {
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
    sweepMs: env.DISPATCH_SWEEP_MS,
    sweepGraceMs: env.DISPATCH_SWEEP_GRACE_MS,
    lockMs: env.DISPATCH_LOCK_MS,
    secretKey: env.DISPATCH_SECRET_KEY,
    previousSecretKeys: env.DISPATCH_SECRET_KEYS_PREVIOUS ?? [],
  };
}

/** Dispatch's settings: frozen, every duration in ms. */
export type DispatchSettings = Readonly<ReturnType<typeof shape>>;

/** Raised when a DISPATCH_* variable is wrong; `issues` names each (values of key variables are never echoed). */
export class DispatchConfigError extends Error {
  readonly code = 'HW_DISPATCH_CONFIG_INVALID';
  constructor(readonly issues: readonly string[]) {
    super(`invalid dispatch configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'DispatchConfigError';
  }
}

/** Parse dispatch's variables from `env` (call once, from main.ts). Empty strings count as unset. */
export function loadDispatchSettings(env: Record<string, string | undefined>): DispatchSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('DISPATCH_') && v !== undefined && v !== ''));
  const parsed = DispatchEnvSchema.safeParse(cleaned);
  if (!parsed.success) throw new DispatchConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  return Object.freeze(shape(parsed.data));
}

/** Settings for tests and embedding: the defaults with some fields replaced. */
export function dispatchSettings(overrides: Partial<DispatchSettings> = {}): DispatchSettings {
  return Object.freeze({ ...shape(DispatchEnvSchema.parse({})), ...overrides });
}
