import { type AlarmEvent, AlarmEventSchema, type DispatchTargetView } from '@hazardwatch/contracts';
import {
  type DeliveryRef,
  escalationNotices,
  fannedOutEventIds,
  fanOutStateOfAlarm,
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
  /** How long the list of enabled targets is reused (0: read for every event). A new or changed target is matched after at most this. */
  targetCacheMs: number;
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
  let cached: { at: number; targets: DispatchTargetView[] } | null = null;

  async function targets(c: PoolClient): Promise<DispatchTargetView[]> {
    const now = deps.now();
    if (cached && now - cached.at < deps.targetCacheMs) return cached.targets;
    const list = await listEnabledDispatchTargets(c);
    cached = { at: now, targets: list };
    return list;
  }

  async function fanOut(event: AlarmEvent): Promise<number> {
    const handled = await withTransaction(pool, async (c) => {
      // One fan-out per alarm at a time: an alarm's deliveries are created in event order.
      await lockAlarmFanOut(c, event.alarmId);
      const state = await fanOutStateOfAlarm(c, event.alarmId, event.id);
      // Done before (a repeated job, or the catch-up of a later event): enqueue what is still pending, in case a crash came between.
      if (state.done) return { refs: await pendingDeliveriesOfEvents(c, [event.id]), created: 0, todo: [] as AlarmEvent[] };
      // Earlier events of the alarm whose own job is late or lost go first, in this transaction:
      // a delivery can then wait for every earlier delivery of its alarm to its target.
      const after = Math.max(deps.baseSeq(), state.lastSeq);
      const earlier = event.seq - 1 > after ? await eventsBetween(c, event.alarmId, after, event.seq - 1) : [];
      const done = await fannedOutEventIds(
        c,
        earlier.map((e) => e.id),
      );
      const todo = [...earlier.filter((e) => !done.has(e.id) && e.id !== event.id), event];
      const list = await targets(c);
      const notices = await escalationNotices(
        c,
        todo.filter((e) => e.type === 'escalated').map((e) => e.id),
      );
      const refs: DeliveryRef[] = [];
      let created = 0;
      for (const e of todo) {
        const deliveries = deliveriesFor(e, list, notices.get(e.id));
        refs.push(...(await recordFanOut(c, { eventId: e.id, eventSeq: e.seq, alarmId: e.alarmId }, deliveries)));
        created += deliveries.length;
      }
      await touchEscalationTimers(c, [...new Set(todo.filter(mayAwaitAcknowledgement).map((e) => e.alarmId))], deps.now());
      return { refs, created, todo };
    });
    for (const e of handled.todo) metrics.events.inc({ type: e.type });
    metrics.deliveriesCreated.inc(handled.created);
    if (handled.todo.length > 1) deps.log.info({ eventId: event.id, caughtUp: handled.todo.length - 1 }, 'earlier events of the alarm fanned out first');
    // After the commit; adding a job twice is a no-op (job id per delivery and chain).
    await enqueueDeliveries(deps.queues.deliveries, handled.refs);
    return handled.refs.length;
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
