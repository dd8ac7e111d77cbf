import { type DeliveryOutcome, decideRetry, type RetryPolicy, webhookHeaders } from '@hazardwatch/alarms';
import {
  type AttemptRecord,
  type DeliveryForAttempt,
  type DeliveryRef,
  deadLetterDelivery,
  loadDeliveryForAttempt,
  nextPendingDelivery,
  type Pool,
  recordDeliveryAttempt,
  type SecretBox,
} from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { type FetchLike, type PostResult, postWebhook } from './http-post.js';
import { deliveryJobId } from './job-ids.js';
import type { DispatchMetrics } from './metrics.js';
import { type DeliveryJob, DeliveryJobSchema, type DispatchQueues } from './queues.js';
import type { TargetSlots } from './target-slots.js';

export interface DeliveryDeps {
  pool: Pool;
  secrets: SecretBox;
  queues: DispatchQueues;
  slots: TargetSlots;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  log: Logger;
  metrics: DispatchMetrics;
  now: () => number;
  rand: () => number;
  fetch: FetchLike;
}

/** What one attempt became. */
export type AttemptResult = 'delivered' | 'retry' | 'dead' | 'skipped' | 'deferred';

function describe(r: PostResult, timeoutMs: number): string | null {
  if (r.kind === 'timeout') return `no answer within ${timeoutMs} ms`;
  if (r.kind === 'network_error') return r.message;
  if (r.status >= 200 && r.status < 300) return null;
  return `HTTP ${r.status}${r.bodySnippet ? `: ${r.bodySnippet}` : ''}`;
}

/**
 * The BullMQ processor of the deliveries queue: one attempt of one delivery.
 * - Done, replayed since (another chain) or gone: nothing to do.
 * - Target disabled or deleted: dead-lettered (`target_disabled`), replayable later.
 * - An earlier event of the same alarm still pending to the same target: the job waits
 *   (delayed, growing backoff, woken early when that delivery ends): a clear never
 *   overtakes its raise.
 * - The target has `perTarget` requests in flight in this process: the job waits a
 *   moment, off its worker slot, so a slow target never holds back the others.
 * - Otherwise POST the stored body, signed now, with the idempotency key; record the
 *   attempt; then delivered, retry later (the job moves itself to delayed, alarms
 *   `decideRetry`: full jitter, Retry-After floor), or dead-lettered.
 */
export function createDeliveryProcessor(deps: DeliveryDeps): (job: Job, token?: string) => Promise<AttemptResult> {
  const { pool, metrics } = deps;
  const policy = { ...deps.retry, rand: deps.rand };

  async function wait(job: Job, data: DeliveryJob, token: string | undefined, why: 'ordering' | 'capacity'): Promise<never> {
    // Ordering waits may be long (the earlier delivery may be in backoff) and are woken early; capacity waits are short.
    const ceiling = why === 'ordering' ? Math.min(100 * 2 ** data.deferrals, 5000) : Math.min(20 * 2 ** data.deferrals, 1000);
    const delay = Math.max(5, Math.floor(ceiling * (0.5 + deps.rand() / 2)));
    await job.updateData({ ...data, deferrals: data.deferrals + 1 });
    await job.moveToDelayed(deps.now() + delay, token);
    metrics.deferrals.inc({ why });
    throw new DelayedError();
  }

  /** Wake a delivery that waits for the one just ended (same alarm and target, not tried yet in its chain). */
  async function wake(next: DeliveryRef | null, log: Logger): Promise<void> {
    if (!next) return;
    const job = await deps.queues.deliveries.getJob(deliveryJobId(next));
    if (!job || !(await job.isDelayed())) return;
    try {
      await job.promote();
    } catch (err) {
      // It left the delayed set meanwhile (promoted by its own timer): nothing to wake.
      log.debug({ err, next: next.id }, 'next delivery was already on its way');
    }
  }

  /** The waiting successor of a delivery that ended without an attempt. */
  async function successor(d: DeliveryForAttempt): Promise<DeliveryRef | null> {
    const next = await nextPendingDelivery(pool, { alarmId: d.alarmId, targetId: d.target.id, eventSeq: d.eventSeq });
    return next && next.chainAttempts === 0 ? next : null;
  }

  return async (job, token) => {
    const parsed = DeliveryJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('HW_DISPATCH_BAD_JOB: not a delivery job');
    const data = parsed.data;
    const d = await loadDeliveryForAttempt(pool, deps.secrets, data.deliveryId);
    if (!d || d.status !== 'pending' || d.chain !== data.chain) return 'skipped';
    const log = deps.log.child({ deliveryId: d.id, eventId: d.eventId, targetId: d.target.id, chain: d.chain });

    if (!d.target.usable) {
      if (await deadLetterDelivery(pool, d, 'target_disabled', deps.now())) {
        metrics.deadLetters.inc({ reason: 'target_disabled' });
        log.warn('target disabled or deleted: delivery dead-lettered');
      }
      await wake(await successor(d), log);
      return 'dead';
    }
    if (d.waitsForEarlier) return wait(job, data, token, 'ordering');
    if (!deps.slots.tryAcquire(d.target.id)) return wait(job, data, token, 'capacity');

    const startedAt = deps.now();
    let result: PostResult;
    try {
      const headers = webhookHeaders({ secret: d.target.secret, body: d.body, eventId: d.eventId, eventType: d.eventType, now: startedAt });
      result = await postWebhook(deps.fetch, d.target.url, d.body, headers, deps.requestTimeoutMs);
    } finally {
      deps.slots.release(d.target.id);
    }
    const ended = deps.now();
    const outcome: DeliveryOutcome = result.kind === 'response' ? result.status : result.kind;
    const ok = result.kind === 'response' && result.status >= 200 && result.status < 300;
    let then: AttemptRecord['then'] = { kind: 'delivered' };
    if (!ok) {
      const decision = decideRetry(d.chainAttempts + 1, outcome, policy, result.kind === 'response' ? result.retryAfter : null, ended);
      then = decision.retry ? { kind: 'retry', at: ended + decision.delayMs } : { kind: 'dead', reason: decision.reason };
    }
    const { recorded, next } = await recordDeliveryAttempt(pool, {
      deliveryId: d.id,
      chain: d.chain,
      startedAt,
      latencyMs: ended - startedAt,
      outcome: ok ? 'delivered' : result.kind === 'response' ? 'http_error' : result.kind,
      statusCode: result.kind === 'response' ? result.status : null,
      error: describe(result, deps.requestTimeoutMs),
      then,
    });
    metrics.attempts.inc({ outcome: ok ? 'delivered' : result.kind === 'response' ? `http_${Math.floor(result.status / 100)}xx` : result.kind });
    metrics.attemptSeconds.observe((ended - startedAt) / 1000);
    // A replay or a duplicate job finished this chain meanwhile: its record stands.
    if (!recorded) return 'skipped';
    if (then.kind === 'retry') {
      log.info({ attempt: d.chainAttempts + 1, outcome, retryInMs: then.at - ended }, 'delivery failed, retrying');
      await job.moveToDelayed(then.at, token);
      throw new DelayedError();
    }
    if (then.kind === 'dead') {
      metrics.deadLetters.inc({ reason: then.reason });
      log.warn({ attempt: d.chainAttempts + 1, outcome, reason: then.reason }, 'delivery dead-lettered');
    }
    await wake(next, log);
    return then.kind;
  };
}
