import { z } from 'zod';
import { parseHttpDate } from './civil-time.js';
import { AlarmError } from './errors.js';

/** How a delivery attempt ended, as far as retrying is concerned: an HTTP status, or no response. */
export type DeliveryOutcome = number | 'timeout' | 'network_error';

/**
 * Whether a failed delivery is worth another try. Timeouts, connection failures,
 * 5xx and 429 are the receiver's passing trouble; any other 4xx says the request
 * itself is wrong (bad URL, bad signature, gone) and repeating it cannot help.
 * 2xx is success and 3xx is refused (dispatch does not follow redirects: the body
 * is signed for the configured URL), so neither is retried.
 */
export function isRetryable(outcome: DeliveryOutcome): boolean {
  if (outcome === 'timeout' || outcome === 'network_error') return true;
  return outcome === 429 || (outcome >= 500 && outcome <= 599);
}

/** Retry policy of deliveries; every figure is overridable. */
export const RetryPolicySchema = z
  .object({
    /** Ceiling of the first retry's delay; it doubles each attempt. */
    baseMs: z.number().int().positive().default(1000),
    /** Largest backoff ceiling. */
    maxMs: z
      .number()
      .int()
      .positive()
      .default(5 * 60_000),
    /** Attempts in all (the first try included) before the delivery is dead-lettered. */
    maxAttempts: z.number().int().positive().default(15),
    /** A Retry-After longer than this is cut to it, so a receiver cannot park a delivery for days. */
    maxRetryAfterMs: z.number().int().nonnegative().default(3_600_000),
  })
  .refine((p) => p.baseMs <= p.maxMs, { message: 'baseMs must not exceed maxMs', path: ['baseMs'] });
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * Defaults: 1 s doubling to 5 min, 15 attempts (about 40 min of retries at the
 * ceilings, longer than the two-minute outage the test requires).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze(RetryPolicySchema.parse({}));

/**
 * A Retry-After header (RFC 9110 §10.2.3) as a delay from `now` in ms: delay-seconds
 * or an HTTP date (a past date gives 0). Null when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | null {
  if (header === null || header === undefined) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = parseHttpDate(v);
  return at === null ? null : Math.max(0, at - now);
}

/**
 * Delay before retry number `attempt` (1 = the retry after the first failed try):
 * exponential backoff with full jitter, a uniform draw in [0, min(maxMs, baseMs · 2^(attempt-1))),
 * so retries of many deliveries spread out instead of hitting a recovering receiver together.
 * A readable Retry-After is a floor: the delay is never shorter than what the receiver asked
 * (cut to `maxRetryAfterMs`). `rand` returns [0, 1) (Math.random in the service, fixed in tests).
 */
export function retryDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'> & Partial<Pick<RetryPolicy, 'maxRetryAfterMs'>> & { rand: () => number },
  retryAfterHeader: string | null | undefined,
  now: number,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new AlarmError('HW_DISPATCH_BAD_ATTEMPT', `attempt must be an integer from 1, got ${attempt}`);
  // 2^(attempt-1) overflows to Infinity for large attempts; min() keeps the ceiling finite.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 1024));
  const r = Math.min(Math.max(policy.rand(), 0), 1);
  const backoff = Math.floor(r * ceiling);
  const retryAfter = parseRetryAfter(retryAfterHeader, now);
  if (retryAfter === null) return backoff;
  return Math.max(backoff, Math.min(retryAfter, policy.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs));
}

/** What to do after a failed attempt: retry after a delay, or dead-letter (and why). */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'not_retryable' | 'attempts_exhausted' };

/**
 * After attempt number `attemptsMade` (1 = the first try) failed with `outcome`:
 * retry after {@link retryDelayMs}, or stop. A delivery that stops goes to the
 * dead-letter state, from which an operator can replay it.
 */
export function decideRetry(
  attemptsMade: number,
  outcome: DeliveryOutcome,
  policy: RetryPolicy & { rand: () => number },
  retryAfterHeader: string | null | undefined,
  now: number,
): RetryDecision {
  if (!isRetryable(outcome)) return { retry: false, reason: 'not_retryable' };
  if (attemptsMade >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  return { retry: true, delayMs: retryDelayMs(attemptsMade, policy, retryAfterHeader, now) };
}
