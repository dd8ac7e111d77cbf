import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, type DeliveryOutcome, decideRetry, isRetryable, parseRetryAfter, RetryPolicySchema, retryDelayMs } from './retry.js';

const NOW = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT
const policy = { baseMs: 1000, maxMs: 60_000, maxRetryAfterMs: 3_600_000 };

describe('isRetryable', () => {
  it.each([
    { outcome: 'timeout', retry: true },
    { outcome: 'network_error', retry: true },
    { outcome: 500, retry: true },
    { outcome: 502, retry: true },
    { outcome: 503, retry: true },
    { outcome: 599, retry: true },
    { outcome: 429, retry: true },
    { outcome: 400, retry: false },
    { outcome: 401, retry: false },
    { outcome: 403, retry: false },
    { outcome: 404, retry: false },
    { outcome: 408, retry: false },
    { outcome: 410, retry: false },
    { outcome: 422, retry: false },
    { outcome: 200, retry: false },
    { outcome: 204, retry: false },
    { outcome: 301, retry: false },
  ] satisfies { outcome: DeliveryOutcome; retry: boolean }[])('$outcome → $retry', ({ outcome, retry }) => {
    expect(isRetryable(outcome)).toBe(retry);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    { header: '120', ms: 120_000 },
    { header: ' 0 ', ms: 0 },
    { header: 'Sun, 06 Nov 1994 08:50:07 GMT', ms: 30_000 },
    { header: 'Sun, 06 Nov 1994 08:00:00 GMT', ms: 0 },
    { header: '-5', ms: null },
    { header: '1.5', ms: null },
    { header: 'soon', ms: null },
    { header: undefined, ms: null },
    { header: null, ms: null },
  ])('$header → $ms', ({ header, ms }) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });
});

describe('retryDelayMs', () => {
  it.each([
    // full jitter: rand × min(maxMs, baseMs · 2^(attempt-1))
    { attempt: 1, rand: 0.5, ms: 500 },
    { attempt: 2, rand: 0.5, ms: 1000 },
    { attempt: 3, rand: 0.5, ms: 2000 },
    { attempt: 7, rand: 0.5, ms: 30_000 },
    { attempt: 8, rand: 0.5, ms: 30_000 }, // 128 s capped at 60 s
    { attempt: 2000, rand: 0.999, ms: 59_940 },
    { attempt: 3, rand: 0, ms: 0 },
  ])('attempt $attempt, rand $rand → $ms ms', ({ attempt, rand, ms }) => {
    expect(retryDelayMs(attempt, { ...policy, rand: () => rand }, undefined, NOW)).toBe(ms);
  });

  it.each([
    { name: 'seconds above the backoff', header: '120', rand: 0.5, ms: 120_000 },
    { name: 'seconds below the backoff', header: '1', rand: 0.5, ms: 2000 },
    { name: 'an HTTP date', header: 'Sun, 06 Nov 1994 08:50:07 GMT', rand: 0, ms: 30_000 },
    { name: 'a past HTTP date', header: 'Sun, 06 Nov 1994 08:00:00 GMT', rand: 0.5, ms: 2000 },
    { name: 'an unreadable value', header: 'later', rand: 0.5, ms: 2000 },
    { name: 'a value beyond the cap', header: '86400', rand: 0.5, ms: 3_600_000 },
  ])('honours Retry-After: $name', ({ header, rand, ms }) => {
    expect(retryDelayMs(3, { ...policy, rand: () => rand }, header, NOW)).toBe(ms);
  });

  it('never leaves [0, ceiling) whatever the random source returns', () => {
    for (const r of [-1, 0, 0.25, 0.9999, 1, 7]) {
      const d = retryDelayMs(4, { ...policy, rand: () => r }, undefined, NOW);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it.each([0, -1, 1.5])('refuses attempt %s', (attempt) => {
    expect(() => retryDelayMs(attempt, { ...policy, rand: () => 0 }, undefined, NOW)).toThrow(expect.objectContaining({ code: 'HW_DISPATCH_BAD_ATTEMPT' }));
  });
});

describe('decideRetry', () => {
  const p = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, rand: () => 0.5 };
  it.each([
    { attempts: 1, outcome: 503, expected: { retry: true, delayMs: 500 } },
    { attempts: 2, outcome: 'timeout', expected: { retry: true, delayMs: 1000 } },
    { attempts: 3, outcome: 503, expected: { retry: false, reason: 'attempts_exhausted' } },
    { attempts: 1, outcome: 404, expected: { retry: false, reason: 'not_retryable' } },
  ] satisfies { attempts: number; outcome: DeliveryOutcome; expected: unknown }[])('after $attempts attempt(s) ending $outcome', ({
    attempts,
    outcome,
    expected,
  }) => {
    expect(decideRetry(attempts, outcome, p, undefined, NOW)).toEqual(expected);
  });

  it('has documented defaults and refuses a base above the maximum', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ baseMs: 1000, maxMs: 300_000, maxAttempts: 15, maxRetryAfterMs: 3_600_000 });
    expect(RetryPolicySchema.safeParse({ baseMs: 10_000, maxMs: 1000 }).success).toBe(false);
  });
});
