import type { AlarmEvent } from '@hazardwatch/contracts';
import type { DeliveryRef } from '@hazardwatch/db';
import { liveChannel, QueueNames, type Redis } from '@hazardwatch/queue';
import { type JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { alarmEventJobId, deliveryJobId } from './job-ids.js';

/**
 * The delivery job: which delivery and which attempt chain (a replay starts a new one;
 * a job of an older chain finds nothing to do). HTTP retries do not use BullMQ attempts
 * (the job moves itself to delayed, the attempt count is in the database); `attempts`
 * here covers failures of dispatch itself (database down).
 */
export const DeliveryJobSchema = z.object({
  deliveryId: z.number().int().positive(),
  chain: z.number().int().positive(),
  /** Times the job was put back to wait for an earlier delivery or a free target slot. */
  deferrals: z.number().int().nonnegative().default(0),
});
export type DeliveryJob = z.infer<typeof DeliveryJobSchema>;

const KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 86_400, count: 10_000 } } as const;

export const DELIVERY_JOB_OPTIONS: JobsOptions = { attempts: 30, backoff: { type: 'exponential', delay: 1000 }, ...KEEP };
/** Options of the alarm-event jobs dispatch adds itself (escalations, offline events, replays of lost jobs). */
export const EVENT_JOB_OPTIONS: JobsOptions = { attempts: 30, backoff: { type: 'exponential', delay: 1000 }, ...KEEP };

/** The queues dispatch adds to. */
export interface DispatchQueues {
  readonly events: Queue;
  readonly deliveries: Queue;
  close(): Promise<void>;
}

export function createDispatchQueues(connection: Redis, prefix: string): DispatchQueues {
  const events = new Queue(QueueNames.alarmEvents, { connection, prefix });
  const deliveries = new Queue(QueueNames.deliveries, { connection, prefix });
  return {
    events,
    deliveries,
    async close() {
      await Promise.all([events.close(), deliveries.close()]);
    },
  };
}

/** Add one job per delivery (job id per delivery and chain: adding twice is a no-op). */
export async function enqueueDeliveries(queue: Queue, refs: readonly DeliveryRef[]): Promise<void> {
  if (refs.length === 0) return;
  await queue.addBulk(
    refs.map((r) => ({
      name: 'deliver',
      data: { deliveryId: r.id, chain: r.chain, deferrals: 0 } satisfies DeliveryJob,
      opts: { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(r) },
    })),
  );
}

/**
 * Publish committed events as every producer does (the rules-worker contract): a job on
 * the alarm-events queue (job id `ae-<seq>`) and the event's JSON on the live channel.
 */
export async function publishEvents(queues: DispatchQueues, redis: Redis, prefix: string, events: readonly AlarmEvent[]): Promise<void> {
  if (events.length === 0) return;
  await queues.events.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { ...EVENT_JOB_OPTIONS, jobId: alarmEventJobId(e) } })));
  const channel = liveChannel(prefix);
  await Promise.all(events.map((e) => redis.publish(channel, JSON.stringify(e))));
}
