import { type AlarmEventDraft, currentEscalation, type EscalationPolicy, type EscalationStep, escalationEventId, nextEscalation } from '@hazardwatch/alarms';
import type { Alarm, EscalationTier } from '@hazardwatch/contracts';
import type { EnterpriseJurisdiction, EscalationNotice, EscalationTimer } from '@hazardwatch/db';

/** What to do with one due escalation timer. */
export type EscalationPlan =
  /** Nothing awaits an acknowledgement (acknowledged, hidden, closed, gone): the timer ends. */
  | { kind: 'drop' }
  /** Nothing new is due: sleep until the next step. */
  | { kind: 'wait'; timer: EscalationTimer }
  /** Send `event` (an `escalated` event) to the tiers of `notice`, then sleep until the next step. */
  | { kind: 'send'; timer: EscalationTimer; step: EscalationStep; notice: EscalationNotice; event: AlarmEventDraft };

/**
 * Decide one due timer (pure: `now` is given). The alarm is read fresh, so an
 * acknowledgement stops the schedule however late its own event arrives. Only the
 * latest due step is sent (escalation.ts `currentEscalation`); a step already sent in
 * this unacknowledged episode (same `key`) is not sent again. A dispatcher that was
 * down past several stages tells every tier it skipped in one event (`tellTiers`).
 */
export function planEscalation(
  timer: EscalationTimer,
  alarm: Alarm | null,
  where: EnterpriseJurisdiction | undefined,
  policy: EscalationPolicy,
  now: number,
): EscalationPlan {
  if (alarm === null || where === undefined) return { kind: 'drop' };
  const options = { inPark: where.inPark };
  const next = nextEscalation(alarm, policy, where.regionCode, now, options);
  if (next === null) return { kind: 'drop' };
  const episode = alarm.unacknowledgedSince ?? alarm.raisedAt;
  const sameEpisode = timer.episodeSince === episode;
  const lastKey = sameEpisode ? timer.lastKey : null;
  const lastStage = sameEpisode ? timer.lastStage : 0;
  const current = currentEscalation(alarm, policy, where.regionCode, now, options);
  if (current === null || current.key === lastKey) {
    return { kind: 'wait', timer: { alarmId: alarm.id, episodeSince: episode, lastKey, lastStage, nextDueAt: next.dueAt } };
  }
  const tellTiers: EscalationTier[] = current.stage > lastStage ? current.tiers.slice(lastStage + 1) : [current.tier];
  const id = escalationEventId(alarm, current);
  const waitedMin = Math.round((now - episode) / 60_000);
  return {
    kind: 'send',
    step: current,
    timer: { alarmId: alarm.id, episodeSince: episode, lastKey: current.key, lastStage: Math.max(lastStage, current.stage), nextDueAt: next.dueAt },
    notice: { eventId: id, alarmId: alarm.id, tier: current.tier, stage: current.stage, reminder: current.reminder, kind: current.kind, tellTiers },
    event: {
      id,
      alarmId: alarm.id,
      type: 'escalated',
      at: now,
      actor: 'system',
      enterpriseId: alarm.enterpriseId,
      hazardSourceId: alarm.hazardSourceId,
      vehicleId: alarm.vehicleId,
      ruleId: alarm.ruleId,
      subject: alarm.subject,
      category: alarm.category,
      colour: alarm.colour,
      level: alarm.level,
      stateBefore: alarm.state,
      stateAfter: alarm.state,
      value: alarm.value,
      reason: `${current.kind === 'escalation' ? 'escalated' : 'reminder'} to ${tellTiers.join(', ')}: unacknowledged for ${waitedMin} min`,
      message: alarm.message,
    },
  };
}
