import { matchTargets, targetTier, toWebhookBodyV1 } from '@hazardwatch/alarms';
import type { AlarmEvent, DispatchTargetView } from '@hazardwatch/contracts';
import type { EscalationNotice, NewDelivery } from '@hazardwatch/db';

/**
 * The deliveries of one event (pure): one per matching target (alarms `matchTargets`
 * with the enterprise's region code as recorded on the event), each with the v1 body
 * serialised once: every attempt and replay sends these very bytes, signed afresh.
 * An `escalated` event goes only to targets of the tiers its notice tells (county =
 * 6-digit prefix, city = 4, province = 2, enterprise = its control room).
 */
export function deliveriesFor(event: AlarmEvent, targets: readonly DispatchTargetView[], notice: EscalationNotice | undefined): NewDelivery[] {
  let matched = matchTargets(event, event.regionCode, targets);
  if (event.type === 'escalated' && notice) matched = matched.filter((t) => notice.tellTiers.includes(targetTier(t.scope)));
  if (matched.length === 0) return [];
  const escalation = event.type === 'escalated' && notice ? { tier: notice.tier, stage: notice.stage, reminder: notice.reminder, kind: notice.kind } : null;
  const body = JSON.stringify(toWebhookBodyV1(event, escalation));
  return matched.map((t) => ({
    eventId: event.id,
    eventSeq: event.seq,
    eventType: event.type,
    alarmId: event.alarmId,
    enterpriseId: event.enterpriseId,
    regionCode: event.regionCode,
    targetId: t.id,
    body,
  }));
}

/** Whether an event may start or restart an unacknowledged episode (then the escalation timer is re-read). */
export function mayAwaitAcknowledgement(event: AlarmEvent): boolean {
  if (event.type === 'escalated' || event.type === 'enterprise_offline' || event.type === 'enterprise_online') return false;
  return event.stateAfter === 'active_unacknowledged' || event.stateAfter === 'rtn_unacknowledged' || event.stateAfter === 'latched';
}
