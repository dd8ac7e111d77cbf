import type { AlarmEvent } from '@hazardwatch/contracts';
import type { DeliveryRef } from '@hazardwatch/db';

/**
 * Job id of an alarm event on the alarm-events queue: `ae-<seq>`, as the rules-worker
 * publishes them (BullMQ refuses `:` in custom ids, and event ids have them; seq is
 * unique and fixed at commit), so publishing an event again adds nothing.
 */
export function alarmEventJobId(event: Pick<AlarmEvent, 'seq'>): string {
  return `ae-${event.seq}`;
}

/**
 * Job id of a delivery's attempt chain: `delivery-<id>` for the first, `delivery-<id>-r<chain>`
 * after a replay (the dead chain's job may still be kept by BullMQ under the first id).
 */
export function deliveryJobId(d: DeliveryRef): string {
  return d.chain === 1 ? `delivery-${d.id}` : `delivery-${d.id}-r${d.chain}`;
}
