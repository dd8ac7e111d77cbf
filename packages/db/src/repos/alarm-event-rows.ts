import { type AlarmEvent, AlarmEventSchema } from '@hazardwatch/contracts';
import { LOCK_KEYS } from '../lock-keys.js';

/**
 * alarm_events (the alarm store's) and dispatch_events (dispatch's own offline/online
 * events) have the same columns and share one seq: this is how a row of either reads
 * back as an AlarmEvent, in one place.
 */

/**
 * Serialises event inserts into both tables so `seq` order is commit order (held to COMMIT),
 * and a live-stream reader that saw seq N never finds a smaller one appear later.
 */
export const EVENT_ORDER_LOCK_KEY = LOCK_KEYS.eventOrder;

/** The select list of an event row; `alias` qualifies the columns (`e` → `e.seq`). */
export function alarmEventColumns(alias?: string): string {
  const c = (name: string): string => (alias ? `${alias}.${name}` : name);
  return [
    c('seq'),
    c('id'),
    c('alarm_id'),
    c('type'),
    `(extract(epoch FROM ${c('at')}) * 1000)::float8 AS at`,
    ...['actor', 'enterprise_id', 'region_code', 'hazard_source_id', 'vehicle_id', 'rule_id', 'subject', 'category'].map(c),
    ...['colour', 'level', 'state_before', 'state_after', 'value', 'reason', 'message'].map(c),
  ].join(', ');
}

export type AlarmEventRow = {
  seq: number;
  id: string;
  alarm_id: string;
  type: string;
  at: number;
  actor: string;
  enterprise_id: string;
  region_code: string;
  hazard_source_id: string | null;
  vehicle_id: string | null;
  rule_id: string | null;
  subject: string;
  category: string;
  colour: string | null;
  level: string | null;
  state_before: string | null;
  state_after: string;
  value: number | null;
  reason: string | null;
  message: string;
};

/** A row selected with `alarmEventColumns` as an AlarmEvent (parsed: a DB boundary). */
export function alarmEventFromRow(r: AlarmEventRow): AlarmEvent {
  return AlarmEventSchema.parse({
    id: r.id,
    seq: r.seq,
    alarmId: r.alarm_id,
    type: r.type,
    at: Math.round(r.at),
    actor: r.actor,
    enterpriseId: r.enterprise_id,
    regionCode: r.region_code,
    hazardSourceId: r.hazard_source_id,
    vehicleId: r.vehicle_id,
    ruleId: r.rule_id,
    subject: r.subject,
    category: r.category,
    colour: r.colour,
    level: r.level,
    stateBefore: r.state_before,
    stateAfter: r.state_after,
    value: r.value,
    reason: r.reason,
    message: r.message,
  });
}
