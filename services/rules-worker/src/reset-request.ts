import { partitionOf, QueueNames, type Redis, vehicleKey } from '@hazardwatch/queue';
import { Queue, QueueEvents } from 'bullmq';
import { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';
import { RESET_JOB_NAME, type ResetJob, type ResetOutcome, ResetOutcomeSchema, resetJobId } from './jobs.js';

/**
 * Asks the rules worker pool to reset a latched alarm and waits for the answer (for the API).
 * The request goes into the rule's partition queue, so it is decided in order with the
 * readings: refused (`HW_RULES_RESET_CONDITION_ACTIVE`, `…_UNKNOWN`, `…_NOTHING_LATCHED`,
 * `HW_ALARM_*` from the alarm store) or done, with the events written. Idempotent by `eventId`:
 * asking again gets the same answer. A timeout throws `HW_RULES_WORKER_RESET_TIMEOUT`; the
 * request stays queued and still runs.
 */
export async function requestLatchReset(
  o: { connection: Redis; prefix: string; partitions: number; timeoutMs?: number },
  req: Omit<ResetJob, 'v'> & { partitionKey: string },
): Promise<ResetOutcome> {
  // A fleet rule is evaluated where the vehicle's positions go.
  const key = req.partitionKey.startsWith('fleet:') && req.subject.startsWith('vehicle:') ? vehicleKey(req.subject.slice('vehicle:'.length)) : req.partitionKey;
  const name = QueueNames.evaluate(partitionOf(key, o.partitions));
  const queue = new Queue(name, { connection: o.connection, prefix: o.prefix });
  const eventsConnection = o.connection.duplicate();
  const events = new QueueEvents(name, { connection: eventsConnection, prefix: o.prefix });
  try {
    await events.waitUntilReady();
    const data: ResetJob = {
      v: 1,
      ruleId: req.ruleId,
      subject: req.subject,
      eventId: req.eventId,
      actor: req.actor,
      requestedAt: req.requestedAt,
      ...(req.reason !== undefined ? { reason: req.reason } : {}),
    };
    const job = await queue.add(RESET_JOB_NAME, data, {
      jobId: resetJobId(req.eventId),
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    let out: unknown;
    try {
      out = await job.waitUntilFinished(events, o.timeoutMs ?? 30_000);
    } catch (err) {
      throw new RulesWorkerError(RulesWorkerErrorCode.ResetTimeout, 'no answer to the reset request in time; it is still queued', [], { cause: err });
    }
    const reset = typeof out === 'object' && out !== null && 'reset' in out ? out.reset : undefined;
    return ResetOutcomeSchema.parse(reset);
  } finally {
    await events.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    eventsConnection.disconnect();
  }
}
