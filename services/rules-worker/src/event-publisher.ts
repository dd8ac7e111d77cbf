import type { AlarmEvent } from '@hazardwatch/contracts';
import { liveChannel, QueueNames, type Redis } from '@hazardwatch/queue';
import { Queue } from 'bullmq';

/** BullMQ job name of an alarm event on the `alarm-events` queue (dispatch consumes it). */
export const ALARM_EVENT_JOB_NAME = 'alarm-event';

/**
 * BullMQ job id of an alarm event: `ae-<seq>`. BullMQ refuses `:` in custom ids and transition
 * ids are full of them; seq is unique and fixed at commit, so publishing an event again (after a
 * crash between commit and publish) adds nothing while the first job is kept.
 */
export function alarmEventJobId(event: Pick<AlarmEvent, 'seq'>): string {
  return `ae-${event.seq}`;
}

/** Kept long enough that a republish after a crash still finds the first job (idempotent add). */
const ALARM_EVENT_JOB_OPTIONS = {
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * Publishes committed alarm events: one job each on the `alarm-events` queue (delivery, at least
 * once, idempotent by job id and by the event id the receivers see), then a PUBLISH of the
 * event JSON on the live channel (`<prefix>:live`, for SSE; subscribers drop repeats by `seq`).
 */
export function createEventPublisher(connection: Redis, prefix: string) {
  const queue = new Queue(QueueNames.alarmEvents, { connection, prefix });
  const channel = liveChannel(prefix);
  return {
    async publish(events: readonly AlarmEvent[]): Promise<void> {
      if (events.length === 0) return;
      await queue.addBulk(events.map((e) => ({ name: ALARM_EVENT_JOB_NAME, data: e, opts: { ...ALARM_EVENT_JOB_OPTIONS, jobId: alarmEventJobId(e) } })));
      const pipe = connection.pipeline();
      for (const e of events) pipe.publish(channel, JSON.stringify(e));
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    },
    close: () => queue.close(),
  };
}
export type EventPublisher = ReturnType<typeof createEventPublisher>;
