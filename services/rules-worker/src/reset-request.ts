import { partitionOf, QueueNames, type Redis, vehicleKey } from '@hazardwatch/queue';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';
import { RESET_JOB_NAME, type ResetJob, type ResetOutcome, ResetOutcomeSchema, resetJobId } from './jobs.js';

/**
 * Asks the rules worker pool to reset a latched alarm and waits for the answer (for the API).
 * The request goes into the rule's partition queue, so it is decided in order with the
 * readings: refused (`HW_RULES_RESET_CONDITION_ACTIVE`, `…_UNKNOWN`, `…_NOTHING_LATCHED`,
 * `HW_ALARM_*` from the alarm store) or done, with the events written. Idempotent by `eventId`:
 * asking again gets the same answer. Redis out of reach throws `HW_RULES_WORKER_RESET_UNAVAILABLE`;
 * no answer in time throws `HW_RULES_WORKER_RESET_TIMEOUT` (the request stays queued and still
 * runs). Either way every connection it opened is closed.
 */
export async function requestLatchReset(
  o: { connection: Redis; prefix: string; partitions: number; timeoutMs?: number },
  req: Omit<ResetJob, 'v'> & { partitionKey: string },
): Promise<ResetOutcome> {
  // A fleet rule is evaluated where the vehicle's positions go.
  const key = req.partitionKey.startsWith('fleet:') && req.subject.startsWith('vehicle:') ? vehicleKey(req.subject.slice('vehicle:'.length)) : req.partitionKey;
  const name = QueueNames.evaluate(partitionOf(key, o.partitions));
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const left = () => Math.max(1, deadline - Date.now());
  const queue = new Queue(name, { connection: o.connection, prefix: o.prefix });
  // Never lazy: BullMQ calls connect() on a lazy client itself, and when that connection is
  // refused the rejected promise has no listener (seen with ioredis 5 / BullMQ 5).
  const eventsConnection = o.connection.duplicate({ lazyConnect: false });
  const events = new QueueEvents(name, { connection: eventsConnection, prefix: o.prefix });
  // Both emit 'error' while Redis is unreachable; unheard, an 'error' event ends the process.
  // The request's own failure reaches the caller below.
  let redisError: unknown;
  const keep = (err: unknown) => {
    redisError = err;
  };
  queue.on('error', keep);
  events.on('error', keep);
  eventsConnection.on('error', keep);
  try {
    // Until the job is added nothing is queued; a request that cannot reach Redis says so.
    let job: Job;
    try {
      await within(events.waitUntilReady(), left());
      const data: ResetJob = {
        v: 1,
        ruleId: req.ruleId,
        subject: req.subject,
        eventId: req.eventId,
        actor: req.actor,
        requestedAt: req.requestedAt,
        ...(req.reason !== undefined ? { reason: req.reason } : {}),
      };
      job = await within(
        queue.add(RESET_JOB_NAME, data, {
          jobId: resetJobId(req.eventId),
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        }),
        left(),
      );
    } catch (err) {
      throw new RulesWorkerError(RulesWorkerErrorCode.ResetUnavailable, 'the reset request could not be queued (Redis unreachable); asking again is safe', [], {
        cause: redisError ?? err,
      });
    }
    let out: unknown;
    try {
      out = await job.waitUntilFinished(events, left());
    } catch (err) {
      throw new RulesWorkerError(RulesWorkerErrorCode.ResetTimeout, 'no answer to the reset request in time; it is still queued', [], { cause: err });
    }
    const reset = typeof out === 'object' && out !== null && 'reset' in out ? out.reset : undefined;
    return ResetOutcomeSchema.parse(reset);
  } finally {
    // The duplicate goes first, so closing the listeners never waits on a dead connection.
    eventsConnection.disconnect();
    await within(Promise.allSettled([events.close(), queue.close()]), 1_000).catch(() => undefined);
  }
}

/** `p`, or a rejection after `ms` (`p` is left to settle on its own; its rejection is heard). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
