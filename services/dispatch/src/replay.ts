import { type DeliveryRef, type Pool, requeueDeadDeliveries } from '@hazardwatch/db';
import { type DispatchQueues, enqueueDeliveries } from './queues.js';

/**
 * Replay dead-lettered deliveries (by id, or every dead delivery of a target): each
 * starts a fresh attempt chain with the same body and the same idempotency key (the
 * event id), so a receiver that did get an earlier try drops the repeat. Deliveries
 * that are not dead are left alone. Returns those replayed.
 *
 * Without a queue at hand, `requeueDeadDeliveries` (db) alone is enough: dispatch's
 * sweeper gives the replayed deliveries their jobs within `DISPATCH_SWEEP_GRACE_MS`.
 */
export async function replayDeliveries(
  deps: { pool: Pool; queues: Pick<DispatchQueues, 'deliveries'> },
  which: { ids: readonly number[] } | { targetId: string },
  opts: { by: string; now: number },
): Promise<DeliveryRef[]> {
  const refs = await requeueDeadDeliveries(deps.pool, which, opts.by, opts.now);
  await enqueueDeliveries(deps.queues.deliveries, refs);
  return refs;
}
