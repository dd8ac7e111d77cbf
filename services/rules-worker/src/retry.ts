import { isTransientDbError } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { ZodError } from 'zod';
import { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';

/** Sleeps `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Whether retrying may help: outages of PostgreSQL or Redis (connection errors, no SQLSTATE
 * or a transient one) may; a bug or refused data (a TypeError, a zod error, a constraint
 * violation) will not.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError) return false;
  if (err instanceof ZodError) return false;
  return isTransientDbError(err);
}

export type RetryContext = {
  signal: AbortSignal;
  log: Logger;
  minMs: number;
  maxMs: number;
  /** Attempts given to an error that is not transient before it is thrown. */
  maxPermanentAttempts: number;
  onRetry(stage: string): void;
};

/**
 * Runs `fn` until it succeeds. Transient failures are retried with a doubling backoff for as
 * long as it takes (the job keeps its place at the head of its partition, so nothing behind it
 * overtakes); a failure that is not transient gets a few attempts, then is thrown. When the
 * worker stops, throws `HW_RULES_WORKER_STOPPING` (the caller puts the job back in its queue).
 */
export async function untilDone<T>(stage: string, fn: () => Promise<T>, ctx: RetryContext): Promise<T> {
  let delay = ctx.minMs;
  let permanent = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RulesWorkerError) throw err;
      // A healthy job finishes during a stop; only one that is waiting out a failure gives up its turn.
      if (ctx.signal.aborted) throw new RulesWorkerError(RulesWorkerErrorCode.Stopping, `stopping during ${stage}`, [], { cause: err });
      const transient = isTransient(err);
      if (!transient && ++permanent >= ctx.maxPermanentAttempts) throw err;
      ctx.onRetry(stage);
      ctx.log.warn({ err, stage, transient, retryInMs: delay }, 'job step failed, retrying');
      await sleep(delay, ctx.signal);
      delay = Math.min(delay * 2, ctx.maxMs);
    }
  }
}
