import { type AlarmEvent, AlarmEventSchema } from '@hazardwatch/contracts';
import {
  escalationNotices,
  fannedOutEventIds,
  lastFannedOutSeqOfAlarm,
  listAlarmEvents,
  listDispatchEvents,
  listEnabledDispatchTargets,
  lockAlarmFanOut,
  type Pool,
  type PoolClient,
  pendingDeliveriesOfEvents,
  recordFanOut,
  touchEscalationTimers,
  withTransaction,
} from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { type Job, UnrecoverableError } from 'bullmq';
import { deliveriesFor, mayAwaitAcknowledgement } from './fan-out-plan.js';
import type { DispatchMetrics } from './metrics.js';
import { offlineAlarmId } from './offline-plan.js';
import { type DispatchQueues, enqueueDeliveries } from './queues.js';

export interface FanOutDeps {
  pool: Pool;
  queues: DispatchQueues;
  log: Logger;
  metrics: DispatchMetrics;
  now: () => number;
  /** The last event before dispatch's history began (the sweeper cursor's base). */
  baseSeq: () => number;
}

export interface FanOut {
  /** Turn an event (and any earlier event of its alarm not handled yet) into deliveries, and enqueue them. Idempotent. */
  fanOut(event: AlarmEvent): Promise<number>;
  /** The BullMQ processor of the alarm-events queue. */
  process(job: Job): Promise<number>;
}

const PAGE = 1000;

/** Events of one alarm in (afterSeq, uptoSeq], oldest first, from wherever the alarm's events are stored. */
async function eventsBetween(c: PoolClient, alarmId: string, afterSeq: number, uptoSeq: number): Promise<AlarmEvent[]> {
  if (alarmId.startsWith(offlineAlarmId(''))) return listDispatchEvents(c, { alarmId, afterSeq, uptoSeq, limit: 10_000 });
  const out: AlarmEvent[] = [];
  let after = afterSeq;
  for (;;) {
    const page = await listAlarmEvents(c, alarmId, { afterSeq: after, limit: PAGE });
    for (const e of page) if (e.seq <= uptoSeq) out.push(e);
    const last = page.at(-1);
    if (!last || page.length < PAGE || last.seq >= uptoSeq) return out;
    after = last.seq;
  }
}

export function createFanOut(deps: FanOutDeps): FanOut {
  const { pool, metrics } = deps;

  async function fanOut(event: AlarmEvent): Promise<number> {
    const handled = await withTransaction(pool, async (c) => {
      // One fan-out per alarm at a time: an alarm's deliveries are created in event order.
      await lockAlarmFanOut(c, event.alarmId);
      if ((await fannedOutEventIds(c, [event.id])).has(event.id)) return { ids: [event.id], created: 0, todo: [] as AlarmEvent[] };
      // Earlier events of the alarm whose own job is late or lost go first, in this transaction:
      // a delivery can then wait for every earlier delivery of its alarm to its target.
      const after = Math.max(deps.baseSeq(), await lastFannedOutSeqOfAlarm(c, event.alarmId));
      const earlier = event.seq - 1 > after ? await eventsBetween(c, event.alarmId, after, event.seq - 1) : [];
      const done = await fannedOutEventIds(
        c,
        earlier.map((e) => e.id),
      );
      const todo = [...earlier.filter((e) => !done.has(e.id) && e.id !== event.id), event];
      const targets = await listEnabledDispatchTargets(c);
      const notices = await escalationNotices(
        c,
        todo.filter((e) => e.type === 'escalated').map((e) => e.id),
      );
      let created = 0;
      for (const e of todo) {
        const deliveries = deliveriesFor(e, targets, notices.get(e.id));
        await recordFanOut(c, { eventId: e.id, eventSeq: e.seq, alarmId: e.alarmId }, deliveries);
        created += deliveries.length;
      }
      await touchEscalationTimers(c, [...new Set(todo.filter(mayAwaitAcknowledgement).map((e) => e.alarmId))], deps.now());
      return { ids: todo.map((e) => e.id), created, todo };
    });
    for (const e of handled.todo) metrics.events.inc({ type: e.type });
    metrics.deliveriesCreated.inc(handled.created);
    if (handled.todo.length > 1) deps.log.info({ eventId: event.id, caughtUp: handled.todo.length - 1 }, 'earlier events of the alarm fanned out first');
    // Pending deliveries of these events, also after a crash between commit and enqueue (adding twice is a no-op).
    const refs = await pendingDeliveriesOfEvents(pool, handled.ids);
    await enqueueDeliveries(deps.queues.deliveries, refs);
    return refs.length;
  }

  return {
    fanOut,
    async process(job) {
      const parsed = AlarmEventSchema.safeParse(job.data);
      if (!parsed.success) {
        deps.log.error({ jobId: job.id, issues: parsed.error.issues.length }, 'alarm-event job does not hold an alarm event');
        throw new UnrecoverableError('HW_DISPATCH_BAD_JOB: not an alarm event');
      }
      return fanOut(parsed.data);
    },
  };
}
