import type { AlarmEvent } from '@hazardwatch/contracts';
import { advanceDispatchCursor, fannedOutEventIds, listDispatchEvents, listEventsAfter, overdueDeliveries, type Pool } from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import type { FanOut } from './fan-out.js';
import { deliveryJobId } from './job-ids.js';
import type { DispatchMetrics } from './metrics.js';
import { type DispatchQueues, enqueueDeliveries } from './queues.js';

export interface SweeperDeps {
  pool: Pool;
  queues: DispatchQueues;
  fanOut: FanOut;
  /** How long an event may wait for its own job, or a pending delivery past its time for its job, before the sweeper acts. */
  graceMs: number;
  /** The sweeper's position in the event sequence (persisted in dispatch_cursor). */
  cursor: { seq: number };
  log: Logger;
  metrics: DispatchMetrics;
  now: () => number;
}

const PAGE = 500;
const MAX_PAGES = 20;

/**
 * The safety net under the queues. Producers commit an event, then add its job: a crash
 * in between, or a job that failed for good, would lose the event for every receiver.
 * The sweeper walks the event sequence from its cursor and fans out any event still
 * without a fan-out `graceMs` after it first saw it; and it gives every pending delivery
 * past its time whose job is missing or failed a job again. Both are idempotent, so the
 * sweeper racing a slow job costs nothing but work.
 */
export function createSweeper(deps: SweeperDeps): { sweep(): Promise<{ events: number; deliveries: number }> } {
  const { pool, metrics } = deps;
  const firstSeen = new Map<string, number>();

  async function sweepEvents(): Promise<number> {
    let swept = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const after = deps.cursor.seq;
      const [stored, own] = await Promise.all([
        listEventsAfter(pool, { afterSeq: after, limit: PAGE }),
        listDispatchEvents(pool, { afterSeq: after, limit: PAGE }),
      ]);
      // Beyond the last seq of a full page, the other table's events may be missing from this read.
      let cutoff = Number.POSITIVE_INFINITY;
      for (const list of [stored, own]) {
        const last = list.at(-1);
        if (list.length === PAGE && last) cutoff = Math.min(cutoff, last.seq);
      }
      const events = [...stored, ...own].filter((e) => e.seq <= cutoff).sort((a, b) => a.seq - b.seq);
      if (events.length === 0) return swept;
      const done = await fannedOutEventIds(
        pool,
        events.map((e) => e.id),
      );
      const now = deps.now();
      let waiting: AlarmEvent | undefined;
      for (const e of events) {
        if (done.has(e.id)) {
          firstSeen.delete(e.id);
          continue;
        }
        const seen = firstSeen.get(e.id);
        if (seen === undefined || now - seen < deps.graceMs) {
          if (seen === undefined) firstSeen.set(e.id, now);
          waiting ??= e;
          continue;
        }
        deps.log.warn({ eventId: e.id, seq: e.seq }, 'event without fan-out past the grace time: fanned out by the sweeper');
        await deps.fanOut.fanOut(e);
        firstSeen.delete(e.id);
        metrics.swept.inc({ what: 'event' });
        swept++;
      }
      const last = events.at(-1);
      const next = waiting ? waiting.seq - 1 : (last?.seq ?? after);
      if (next > after) {
        await advanceDispatchCursor(pool, next);
        deps.cursor.seq = next;
      }
      if (waiting || events.length < PAGE) return swept;
    }
    return swept;
  }

  async function sweepDeliveries(): Promise<number> {
    let swept = 0;
    for (const ref of await overdueDeliveries(pool, deps.now() - deps.graceMs, PAGE)) {
      const job = await deps.queues.deliveries.getJob(deliveryJobId(ref));
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' && job) {
        await job.retry('failed');
      } else if (state === 'missing' || state === 'completed' || state === 'unknown') {
        if (job) await job.remove();
        await enqueueDeliveries(deps.queues.deliveries, [ref]);
      } else {
        continue;
      }
      deps.log.warn({ deliveryId: ref.id, chain: ref.chain, jobState: state }, 'pending delivery without a live job: enqueued again');
      metrics.swept.inc({ what: 'delivery' });
      swept++;
    }
    return swept;
  }

  return {
    async sweep() {
      const events = await sweepEvents();
      const deliveries = await sweepDeliveries();
      return { events, deliveries };
    },
  };
}
