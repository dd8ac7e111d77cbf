import { type Alarm, type AlarmEvent, type AlarmState, type AlarmTransition, type Colour, severityOf } from '@hazardwatch/contracts';
import { type AlarmInput, type AlarmMachineOptions, DEFAULT_ALARM_MACHINE_OPTIONS, ENGINE_ACTOR, SYSTEM_ACTOR } from './alarm-input.js';
import { AlarmError, type AlarmErrorCode } from './errors.js';

/**
 * An alarm event before the database stores it: the database assigns `seq` and
 * fills `regionCode` from the enterprise (the alarm row does not carry it).
 */
export type AlarmEventDraft = Omit<AlarmEvent, 'seq' | 'regionCode'>;

/**
 * What {@link applyAlarmInput} returns: the alarm row to write (version bumped by
 * one, for the database's compare-and-set) and the events to append in order, or a
 * typed refusal. A refusal changes nothing.
 */
export type AlarmInputResult = { ok: true; alarm: Alarm; events: AlarmEventDraft[] } | { ok: false; error: AlarmError };

/**
 * Colour given to a raise that arrives without one. The contract says only a clear
 * has no colour; should a raise break it, an alarm system must over-warn rather than
 * under-warn, so the alarm is treated as the most severe.
 */
export const FAILSAFE_COLOUR: Colour = 'red';

/** States shown to the operator (annunciated), as opposed to shelved, suppressed, out of service and normal. */
export const ANNUNCIATED_STATES: readonly AlarmState[] = ['active_unacknowledged', 'active_acknowledged', 'rtn_unacknowledged', 'latched'];

/** An alarm is open until it reaches `normal`; the database keeps one open alarm per (rule, subject). */
export function isAlarmOpen(alarm: Alarm): boolean {
  return alarm.state !== 'normal';
}

/** True when the alarm waits for a person's acknowledgement (what escalation watches). */
export function awaitsAcknowledgement(alarm: Alarm): boolean {
  return alarm.state === 'active_unacknowledged' || alarm.state === 'rtn_unacknowledged' || (alarm.state === 'latched' && alarm.acknowledgedAt === null);
}

/** True when the alarm is shelved and its shelve has run out at `now` (the timer should send `shelve_expiry`). */
export function isShelveDue(alarm: Alarm, now: number): boolean {
  return alarm.state === 'shelved' && alarm.shelvedUntil !== null && now >= alarm.shelvedUntil;
}

type Step = { ok: true; alarm: Alarm; event: AlarmEventDraft } | { ok: false; error: AlarmError };

function refuse(code: AlarmErrorCode, message: string): { ok: false; error: AlarmError } {
  return { ok: false, error: new AlarmError(code, message) };
}

/** The event of one change, described with the alarm as it stands after the change. */
function draft(
  before: Alarm | null,
  after: Alarm,
  e: { id: string; type: AlarmEvent['type']; at: number; actor: string; reason?: string | null | undefined; message?: string },
): AlarmEventDraft {
  return {
    id: e.id,
    alarmId: after.id,
    type: e.type,
    at: e.at,
    actor: e.actor,
    enterpriseId: after.enterpriseId,
    hazardSourceId: after.hazardSourceId,
    vehicleId: after.vehicleId,
    ruleId: after.ruleId,
    subject: after.subject,
    category: after.category,
    colour: after.colour,
    level: after.level,
    stateBefore: before === null ? null : before.state,
    stateAfter: after.state,
    value: after.value,
    reason: e.reason ?? null,
    message: e.message ?? after.message,
  };
}

/** The refusal for an action that cannot reach an alarm hidden from the operator. */
function hiddenRefusal(state: AlarmState): { ok: false; error: AlarmError } | null {
  if (state === 'shelved') return refuse('HW_ALARM_SHELVED', 'the alarm is shelved: unshelve it first');
  if (state === 'suppressed') return refuse('HW_ALARM_SUPPRESSED', 'the alarm is suppressed by design');
  if (state === 'out_of_service') return refuse('HW_ALARM_OUT_OF_SERVICE', 'the alarm is out of service: return it to service first');
  return null;
}

/**
 * Where an alarm lands when it comes back from shelved, suppressed or out of
 * service: by its condition now, not by the state it left. An active condition is
 * annunciated afresh (unacknowledged: the operator has not seen this episode); a
 * latching alarm whose condition went away meanwhile is still latched (only a
 * reset ends a latch, GB 16808 / domain.md); otherwise the alarm closes.
 */
function land(alarm: Alarm, at: number): Alarm {
  const base = { ...alarm, shelvedUntil: null };
  if (alarm.conditionActive || alarm.latching)
    return {
      ...base,
      state: alarm.conditionActive ? 'active_unacknowledged' : 'latched',
      acknowledgedAt: null,
      acknowledgedBy: null,
      unacknowledgedSince: at,
    };
  return { ...base, state: 'normal', unacknowledgedSince: null };
}

function expire(alarm: Alarm): { alarm: Alarm; event: AlarmEventDraft } {
  // `at` is when the shelve ran out, not when the timer ran, so the event and its id
  // are the same whoever notices first (the tick, or an input arriving after it).
  const at = alarm.shelvedUntil ?? 0;
  const after = land(alarm, at);
  return { alarm: after, event: draft(alarm, after, { id: `${alarm.id}:shelve_expired:${at}`, type: 'shelve_expired', at, actor: SYSTEM_ACTOR }) };
}

function create(input: AlarmInput): AlarmInputResult {
  if (input.type !== 'transition' || input.transition.kind === 'clear')
    return refuse('HW_ALARM_NOT_FOUND', 'no open alarm: only a raise (or a level change) can open one');
  const t = input.transition;
  const alarm: Alarm = {
    id: input.alarmId ?? t.id,
    ruleId: t.ruleId,
    subject: t.subject,
    enterpriseId: t.enterpriseId,
    hazardSourceId: t.hazardSourceId,
    vehicleId: t.vehicleId,
    category: t.category,
    state: 'active_unacknowledged',
    conditionActive: true,
    latching: t.latching,
    colour: t.colour ?? FAILSAFE_COLOUR,
    level: t.level,
    value: t.value,
    message: t.message,
    raisedAt: t.at,
    acknowledgedAt: null,
    acknowledgedBy: null,
    unacknowledgedSince: t.at,
    clearedAt: null,
    shelvedUntil: null,
    version: 1,
  };
  return { ok: true, alarm, events: [draft(null, alarm, { id: t.id, type: 'raised', at: t.at, actor: ENGINE_ACTOR, message: t.message })] };
}

/** The condition became active again (it was clear). */
function activate(alarm: Alarm, t: AlarmTransition): Step {
  const fields = {
    conditionActive: true,
    clearedAt: null,
    level: t.level,
    colour: t.colour ?? alarm.colour,
    value: t.value,
    message: t.message,
  };
  if (breaksShelve(alarm, fields.colour)) {
    const after = land({ ...alarm, ...fields }, t.at);
    return {
      ok: true,
      alarm: after,
      event: draft(alarm, after, { id: t.id, type: 'raised', at: t.at, actor: ENGINE_ACTOR, reason: SHELVE_BROKEN, message: t.message }),
    };
  }
  // A new episode on a shown alarm needs a new acknowledgement (ISA-18.2: D/E → B).
  const after: Alarm =
    alarm.state === 'normal' || ANNUNCIATED_STATES.includes(alarm.state)
      ? { ...alarm, ...fields, state: 'active_unacknowledged', acknowledgedAt: null, acknowledgedBy: null, unacknowledgedSince: t.at }
      : { ...alarm, ...fields };
  return { ok: true, alarm: after, event: draft(alarm, after, { id: t.id, type: 'raised', at: t.at, actor: ENGINE_ACTOR, message: t.message }) };
}

/** Recorded as the reason when a worse level ends a shelve. */
const SHELVE_BROKEN = 'more severe than the shelved alarm: the shelve ends';

/**
 * A shelve hides a nuisance at the severity it had, not whatever the same alarm
 * may become: one alarm carries all its levels here (ISA-18.2 would have H and HH
 * as two alarms), and a shelved first gas level must not hide the second. A more
 * severe colour than the alarm's current one therefore ends the shelve. Suppression
 * by design and out of service are deliberate and stay.
 */
function breaksShelve(alarm: Alarm, colour: Colour): boolean {
  return alarm.state === 'shelved' && severityOf(colour) > severityOf(alarm.colour);
}

/** The condition stays active at another level. */
function changeLevel(alarm: Alarm, t: AlarmTransition): Step {
  const colour = t.colour ?? alarm.colour;
  const fields = { level: t.level, colour, value: t.value, message: t.message };
  // A worse level is a new alarm to the operator (GB 50493's second level must be
  // seen): an acknowledged alarm asks for acknowledgement again. A milder level does not.
  const worse = severityOf(colour) > severityOf(alarm.colour);
  if (breaksShelve(alarm, colour)) {
    const after = land({ ...alarm, ...fields }, t.at);
    return {
      ok: true,
      alarm: after,
      event: draft(alarm, after, { id: t.id, type: 'level_changed', at: t.at, actor: ENGINE_ACTOR, reason: SHELVE_BROKEN, message: t.message }),
    };
  }
  const after: Alarm =
    worse && alarm.state === 'active_acknowledged'
      ? { ...alarm, ...fields, state: 'active_unacknowledged', acknowledgedAt: null, acknowledgedBy: null, unacknowledgedSince: t.at }
      : { ...alarm, ...fields };
  return { ok: true, alarm: after, event: draft(alarm, after, { id: t.id, type: 'level_changed', at: t.at, actor: ENGINE_ACTOR, message: t.message }) };
}

/** The condition cleared. */
function deactivate(alarm: Alarm, t: AlarmTransition): Step {
  const fields = { conditionActive: false, clearedAt: t.at, value: t.value ?? alarm.value };
  let after: Alarm;
  if (alarm.state === 'active_unacknowledged') after = { ...alarm, ...fields, state: alarm.latching ? 'latched' : 'rtn_unacknowledged' };
  else if (alarm.state === 'active_acknowledged')
    after = alarm.latching ? { ...alarm, ...fields, state: 'latched' } : { ...alarm, ...fields, state: 'normal', unacknowledgedSince: null };
  else after = { ...alarm, ...fields };
  return { ok: true, alarm: after, event: draft(alarm, after, { id: t.id, type: 'returned_to_normal', at: t.at, actor: ENGINE_ACTOR, message: t.message }) };
}

/**
 * `closedNow` says the alarm was closed by a shelve expiry within this same call: the
 * row was never stored closed, so a raise continues it instead of being refused.
 */
function applyTransition(alarm: Alarm, input: Extract<AlarmInput, { type: 'transition' }>, closedNow: boolean): Step {
  const t = input.transition;
  if (t.ruleId !== alarm.ruleId || t.subject !== alarm.subject || t.enterpriseId !== alarm.enterpriseId)
    return refuse('HW_ALARM_SUBJECT_MISMATCH', 'the transition is about another rule, subject or enterprise than the alarm');
  if (alarm.state === 'normal' && !closedNow) return refuse('HW_ALARM_CLOSED', 'the alarm is closed: a new raise opens a new alarm');
  if (t.kind === 'clear') {
    if (!alarm.conditionActive) return refuse('HW_ALARM_ALREADY_CLEAR', 'the condition is already clear');
    return deactivate(alarm, t);
  }
  // The engine sees the data: a level change on a condition we hold as clear means it is active again.
  if (!alarm.conditionActive) return activate(alarm, t);
  if (t.kind === 'raise' && t.level === alarm.level && (t.colour ?? alarm.colour) === alarm.colour)
    return refuse('HW_ALARM_ALREADY_ACTIVE', 'the condition is already active at this level');
  // A raise at another level while active (e.g. the engine lost its state) is a level change: nothing is dropped.
  return changeLevel(alarm, t);
}

type ActionInput = Exclude<AlarmInput, { type: 'transition' }>;

function applyAction(alarm: Alarm, input: ActionInput, now: number, opts: AlarmMachineOptions): Step {
  if (input.type === 'shelve_expiry') {
    if (alarm.state !== 'shelved') return refuse(alarm.state === 'normal' ? 'HW_ALARM_CLOSED' : 'HW_ALARM_NOT_SHELVED', 'the alarm is not shelved');
    if (!isShelveDue(alarm, now)) return refuse('HW_ALARM_SHELVE_NOT_DUE', 'the shelve has not run out yet');
    return { ok: true, ...expire(alarm) };
  }
  const by = { id: input.eventId, at: now, actor: input.actor };
  if (input.type === 'comment') {
    if (input.text.trim() === '') return refuse('HW_ALARM_REASON_REQUIRED', 'a comment needs a text');
    // Allowed in every state, closed alarms too: notes after an incident belong to its history.
    const after = { ...alarm };
    return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'commented', reason: input.text }) };
  }
  if ((input.type === 'shelve' || input.type === 'remove_from_service' || input.type === 'suppress') && input.reason.trim() === '')
    return refuse('HW_ALARM_REASON_REQUIRED', `${input.type} needs a reason`);
  if (input.type === 'shelve' && (!Number.isInteger(input.durationMs) || input.durationMs <= 0 || input.durationMs > opts.maxShelveMs))
    return refuse('HW_ALARM_SHELVE_DURATION_INVALID', `a shelve lasts from 1 ms to ${opts.maxShelveMs} ms`);
  if (alarm.state === 'normal') return refuse('HW_ALARM_CLOSED', 'the alarm is closed');
  const state = alarm.state;

  switch (input.type) {
    case 'acknowledge': {
      if (state === 'active_acknowledged' || (state === 'latched' && alarm.acknowledgedAt !== null))
        return refuse('HW_ALARM_ALREADY_ACKNOWLEDGED', 'the alarm is already acknowledged');
      const hidden = hiddenRefusal(state);
      if (hidden) return hidden;
      const next: AlarmState = state === 'active_unacknowledged' ? 'active_acknowledged' : state === 'rtn_unacknowledged' ? 'normal' : 'latched';
      const after: Alarm = { ...alarm, state: next, acknowledgedAt: now, acknowledgedBy: input.actor, unacknowledgedSince: null };
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'acknowledged', reason: input.comment }) };
    }
    case 'shelve': {
      if (state === 'shelved') return refuse('HW_ALARM_ALREADY_SHELVED', 'the alarm is already shelved');
      const hidden = hiddenRefusal(state);
      if (hidden) return hidden;
      const after: Alarm = { ...alarm, state: 'shelved', shelvedUntil: now + input.durationMs, unacknowledgedSince: null };
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'shelved', reason: input.reason }) };
    }
    case 'unshelve': {
      if (state !== 'shelved') return refuse('HW_ALARM_NOT_SHELVED', 'the alarm is not shelved');
      const after = land(alarm, now);
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'unshelved', reason: input.reason }) };
    }
    case 'reset': {
      if (!alarm.latching) return refuse('HW_ALARM_NOT_LATCHING', 'only a latching alarm is reset');
      if (alarm.conditionActive) return refuse('HW_ALARM_RESET_CONDITION_ACTIVE', 'the condition is still active: a latch is reset only after it clears');
      const hidden = hiddenRefusal(state);
      if (hidden) return hidden;
      // Resetting is seeing: an unacknowledged latch is acknowledged by the same person.
      const after: Alarm = {
        ...alarm,
        state: 'normal',
        acknowledgedAt: alarm.acknowledgedAt ?? now,
        acknowledgedBy: alarm.acknowledgedBy ?? input.actor,
        unacknowledgedSince: null,
      };
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'reset', reason: input.reason }) };
    }
    case 'remove_from_service': {
      if (state === 'out_of_service') return refuse('HW_ALARM_ALREADY_OUT_OF_SERVICE', 'the alarm is already out of service');
      const after: Alarm = { ...alarm, state: 'out_of_service', shelvedUntil: null, unacknowledgedSince: null };
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'removed_from_service', reason: input.reason }) };
    }
    case 'return_to_service': {
      if (state !== 'out_of_service') return refuse('HW_ALARM_NOT_OUT_OF_SERVICE', 'the alarm is not out of service');
      const after = land(alarm, now);
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'returned_to_service', reason: input.reason }) };
    }
    case 'suppress': {
      if (state === 'suppressed') return refuse('HW_ALARM_ALREADY_SUPPRESSED', 'the alarm is already suppressed');
      // Out of service is the stronger state (maintenance, with who and why); suppression waits for its return.
      if (state === 'out_of_service') return refuse('HW_ALARM_OUT_OF_SERVICE', 'the alarm is out of service');
      // A design condition overrides a person's shelve (the shelve ends here): from every other open state.
      const after: Alarm = { ...alarm, state: 'suppressed', shelvedUntil: null, unacknowledgedSince: null };
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'suppressed', reason: input.reason }) };
    }
    case 'unsuppress': {
      if (state !== 'suppressed') return refuse('HW_ALARM_NOT_SUPPRESSED', 'the alarm is not suppressed');
      const after = land(alarm, now);
      return { ok: true, alarm: after, event: draft(alarm, after, { ...by, type: 'unsuppressed', reason: input.reason }) };
    }
  }
}

/**
 * The ISA-18.2 alarm state machine (ANSI/ISA-18.2-2016 §5, IEC 62682), in one place.
 *
 * `alarm` is the open alarm of the (rule, subject), or null when there is none.
 * `input` is an engine transition, a person's action or the shelve timer; `now`
 * is the time of a person's action or of the timer (engine transitions carry their
 * own `at`). The condition is tracked apart from the state (`conditionActive`), so
 * whatever hides an alarm (shelve, suppression, out of service) gives it back in
 * the state its condition calls for.
 *
 * A shelve that has run out by the input's time expires first (a `shelve_expired`
 * event precedes the input's own): a late timer never lets a shelve swallow a new
 * raise. Returns the new row (version + 1) and its events, or a typed refusal;
 * see README.md for the diagram and the full table.
 */
export function applyAlarmInput(alarm: Alarm | null, input: AlarmInput, now: number, options: Partial<AlarmMachineOptions> = {}): AlarmInputResult {
  if (alarm === null) return create(input);
  const opts: AlarmMachineOptions = { ...DEFAULT_ALARM_MACHINE_OPTIONS, ...options };
  const events: AlarmEventDraft[] = [];
  let current = alarm;
  const inputAt = input.type === 'transition' ? input.transition.at : now;
  if (input.type !== 'shelve_expiry' && isShelveDue(current, inputAt)) {
    const expired = expire(current);
    current = expired.alarm;
    events.push(expired.event);
  }
  const expiredFirst = events.length > 0;
  const step = input.type === 'transition' ? applyTransition(current, input, expiredFirst) : applyAction(current, input, now, opts);
  if (!step.ok) return step;
  current = step.alarm;
  events.push(step.event);
  // An engine transition timed before the shelve ran out but handled after it.
  if (isShelveDue(current, now)) {
    const expired = expire(current);
    current = expired.alarm;
    events.push(expired.event);
  }
  return { ok: true, alarm: { ...current, version: alarm.version + 1 }, events };
}
