import { type AlarmEvent, PRIORITY_OF_COLOUR, severityOf, WEBHOOK_SPEC_VERSION, type WebhookBodyV1, type WebhookEscalationV1 } from '@hazardwatch/contracts';
import { toIsoString } from './civil-time.js';

/**
 * The v1 webhook body of a stored alarm event. `escalation` is given for
 * `escalated` events only. Serialise once with `JSON.stringify` and sign and send
 * those very bytes.
 */
export function toWebhookBodyV1(event: AlarmEvent, escalation: WebhookEscalationV1 | null = null): WebhookBodyV1 {
  return {
    specVersion: WEBHOOK_SPEC_VERSION,
    id: event.id,
    seq: event.seq,
    type: event.type,
    occurredAt: toIsoString(event.at),
    enterpriseId: event.enterpriseId,
    regionCode: event.regionCode,
    actor: event.actor,
    reason: event.reason,
    alarm: {
      id: event.alarmId,
      ruleId: event.ruleId,
      subject: event.subject,
      category: event.category,
      colour: event.colour,
      priority: event.colour === null ? null : PRIORITY_OF_COLOUR[event.colour],
      severity: event.colour === null ? null : severityOf(event.colour),
      level: event.level,
      state: event.stateAfter,
      previousState: event.stateBefore,
      value: event.value,
      message: event.message,
      hazardSourceId: event.hazardSourceId,
      vehicleId: event.vehicleId,
    },
    escalation,
  };
}
