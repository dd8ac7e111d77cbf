import type { Alarm, AlarmState, AlarmTransition, Colour } from '@hazardwatch/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmInput } from './alarm-input.js';
import { type AlarmInputResult, applyAlarmInput, awaitsAcknowledgement } from './state-machine.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;
const NOW = T0 + 10 * MIN;
const SHELVED_UNTIL = T0 + 60 * MIN;

function alarmIn(state: AlarmState, over: Partial<Alarm> = {}): Alarm {
  const acked = state === 'active_acknowledged' || state === 'normal';
  return {
    id: 'a1',
    ruleId: 'r1',
    subject: 'point:1',
    enterpriseId: 'e1',
    hazardSourceId: 'hs1',
    vehicleId: null,
    category: 'process',
    state,
    conditionActive: state === 'active_unacknowledged' || state === 'active_acknowledged',
    latching: false,
    colour: 'orange',
    level: 'H',
    value: 30,
    message: 'tank T-1 level high',
    raisedAt: T0,
    acknowledgedAt: acked ? T0 + MIN : null,
    acknowledgedBy: acked ? 'op-1' : null,
    unacknowledgedSince: acked || state === 'shelved' || state === 'suppressed' || state === 'out_of_service' ? null : T0,
    clearedAt: null,
    shelvedUntil: state === 'shelved' ? SHELVED_UNTIL : null,
    version: 7,
    ...over,
  };
}

function transition(kind: AlarmTransition['kind'], level: string | null, colour: Colour | null, over: Partial<AlarmTransition> = {}): AlarmTransition {
  return {
    id: `tr-${kind}-${level ?? 'none'}`,
    ruleId: 'r1',
    ruleVersion: 1,
    subject: 'point:1',
    enterpriseId: 'e1',
    hazardSourceId: 'hs1',
    vehicleId: null,
    pointIds: [1],
    kind,
    category: 'process',
    level,
    colour,
    latching: false,
    value: kind === 'clear' ? 12 : 31,
    at: NOW,
    message: `level ${kind}`,
    ...over,
  };
}

// ---------------------------------------------------------------------------
// The whole (state × input) matrix, with every expected outcome written out by hand.
// Rows: the states, split where the condition or latching decides the outcome.
// Columns: every input. The alarm's current level is H/orange.
// ---------------------------------------------------------------------------

const ROWS = {
  none: null,
  normal: alarmIn('normal'),
  active_unack: alarmIn('active_unacknowledged'),
  active_unack_latching: alarmIn('active_unacknowledged', { latching: true }),
  active_ack: alarmIn('active_acknowledged'),
  active_ack_latching: alarmIn('active_acknowledged', { latching: true }),
  rtn_unack: alarmIn('rtn_unacknowledged', { clearedAt: T0 + 2 * MIN }),
  latched_unack: alarmIn('latched', { latching: true, clearedAt: T0 + 2 * MIN }),
  latched_ack: alarmIn('latched', { latching: true, clearedAt: T0 + 2 * MIN, acknowledgedAt: T0 + MIN, acknowledgedBy: 'op-1', unacknowledgedSince: null }),
  shelved_on: alarmIn('shelved', { conditionActive: true }),
  shelved_off: alarmIn('shelved', { conditionActive: false }),
  shelved_off_latching: alarmIn('shelved', { conditionActive: false, latching: true }),
  suppressed_on: alarmIn('suppressed', { conditionActive: true }),
  suppressed_off: alarmIn('suppressed', { conditionActive: false }),
  suppressed_off_latching: alarmIn('suppressed', { conditionActive: false, latching: true }),
  oos_on: alarmIn('out_of_service', { conditionActive: true }),
  oos_off: alarmIn('out_of_service', { conditionActive: false }),
  oos_off_latching: alarmIn('out_of_service', { conditionActive: false, latching: true }),
} satisfies Record<string, Alarm | null>;
type Row = keyof typeof ROWS;

const by = { actor: 'op-2' };
const COLUMNS = {
  raise: { input: { type: 'transition', transition: transition('raise', 'H', 'orange') }, now: NOW },
  raise_worse: { input: { type: 'transition', transition: transition('raise', 'HH', 'red') }, now: NOW },
  level_up: { input: { type: 'transition', transition: transition('level', 'HH', 'red') }, now: NOW },
  level_down: { input: { type: 'transition', transition: transition('level', 'L', 'yellow') }, now: NOW },
  clear: { input: { type: 'transition', transition: transition('clear', null, null) }, now: NOW },
  ack: { input: { type: 'acknowledge', eventId: 'ev-ack', ...by }, now: NOW },
  comment: { input: { type: 'comment', eventId: 'ev-comment', ...by, text: 'checked on site' }, now: NOW },
  shelve: { input: { type: 'shelve', eventId: 'ev-shelve', ...by, durationMs: 60 * MIN, reason: 'detector being recalibrated' }, now: NOW },
  unshelve: { input: { type: 'unshelve', eventId: 'ev-unshelve', ...by }, now: NOW },
  reset: { input: { type: 'reset', eventId: 'ev-reset', ...by }, now: NOW },
  remove: { input: { type: 'remove_from_service', eventId: 'ev-oos', ...by, reason: 'detector replaced' }, now: NOW },
  return: { input: { type: 'return_to_service', eventId: 'ev-rts', ...by }, now: NOW },
  suppress: { input: { type: 'suppress', eventId: 'ev-sup', actor: 'system', reason: 'unit U-1 shut down' }, now: NOW },
  unsuppress: { input: { type: 'unsuppress', eventId: 'ev-unsup', actor: 'system' }, now: NOW },
  expiry: { input: { type: 'shelve_expiry' }, now: NOW },
  expiry_due: { input: { type: 'shelve_expiry' }, now: SHELVED_UNTIL },
} satisfies Record<string, { input: AlarmInput; now: number }>;
type Column = keyof typeof COLUMNS;

/** `<state after> <condition on|off> <event types>` for an accepted input, the error code for a refusal. */
type Expected = string;
const AU = 'active_unacknowledged';
const AA = 'active_acknowledged';
const RU = 'rtn_unacknowledged';
const L = 'latched';
const N = 'normal';
const SH = 'shelved';
const SU = 'suppressed';
const OOS = 'out_of_service';

const NOT_FOUND = 'HW_ALARM_NOT_FOUND';
const CLOSED = 'HW_ALARM_CLOSED';
const NOT_SHELVED = 'HW_ALARM_NOT_SHELVED';
const NOT_LATCHING = 'HW_ALARM_NOT_LATCHING';
const NOT_OOS = 'HW_ALARM_NOT_OUT_OF_SERVICE';
const NOT_SUPPRESSED = 'HW_ALARM_NOT_SUPPRESSED';

const EXPECTED: Record<Row, Record<Column, Expected>> = {
  none: {
    raise: `${AU} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${AU} on raised`,
    clear: NOT_FOUND,
    ack: NOT_FOUND,
    comment: NOT_FOUND,
    shelve: NOT_FOUND,
    unshelve: NOT_FOUND,
    reset: NOT_FOUND,
    remove: NOT_FOUND,
    return: NOT_FOUND,
    suppress: NOT_FOUND,
    unsuppress: NOT_FOUND,
    expiry: NOT_FOUND,
    expiry_due: NOT_FOUND,
  },
  normal: {
    raise: CLOSED,
    raise_worse: CLOSED,
    level_up: CLOSED,
    level_down: CLOSED,
    clear: CLOSED,
    ack: CLOSED,
    comment: `${N} off commented`,
    shelve: CLOSED,
    unshelve: CLOSED,
    reset: CLOSED,
    remove: CLOSED,
    return: CLOSED,
    suppress: CLOSED,
    unsuppress: CLOSED,
    expiry: CLOSED,
    expiry_due: CLOSED,
  },
  active_unack: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${AU} on level_changed`,
    level_up: `${AU} on level_changed`,
    level_down: `${AU} on level_changed`,
    clear: `${RU} off returned_to_normal`,
    ack: `${AA} on acknowledged`,
    comment: `${AU} on commented`,
    shelve: `${SH} on shelved`,
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} on suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  active_unack_latching: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${AU} on level_changed`,
    level_up: `${AU} on level_changed`,
    level_down: `${AU} on level_changed`,
    clear: `${L} off returned_to_normal`,
    ack: `${AA} on acknowledged`,
    comment: `${AU} on commented`,
    shelve: `${SH} on shelved`,
    unshelve: NOT_SHELVED,
    reset: 'HW_ALARM_RESET_CONDITION_ACTIVE',
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} on suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  active_ack: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${AU} on level_changed`,
    level_up: `${AU} on level_changed`,
    level_down: `${AA} on level_changed`,
    clear: `${N} off returned_to_normal`,
    ack: 'HW_ALARM_ALREADY_ACKNOWLEDGED',
    comment: `${AA} on commented`,
    shelve: `${SH} on shelved`,
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} on suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  active_ack_latching: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${AU} on level_changed`,
    level_up: `${AU} on level_changed`,
    level_down: `${AA} on level_changed`,
    clear: `${L} off returned_to_normal`,
    ack: 'HW_ALARM_ALREADY_ACKNOWLEDGED',
    comment: `${AA} on commented`,
    shelve: `${SH} on shelved`,
    unshelve: NOT_SHELVED,
    reset: 'HW_ALARM_RESET_CONDITION_ACTIVE',
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} on suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  rtn_unack: {
    raise: `${AU} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${AU} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: `${N} off acknowledged`,
    comment: `${RU} off commented`,
    shelve: `${SH} off shelved`,
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} off suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  latched_unack: {
    raise: `${AU} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${AU} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: `${L} off acknowledged`,
    comment: `${L} off commented`,
    shelve: `${SH} off shelved`,
    unshelve: NOT_SHELVED,
    reset: `${N} off reset`,
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} off suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  latched_ack: {
    raise: `${AU} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${AU} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_ALREADY_ACKNOWLEDGED',
    comment: `${L} off commented`,
    shelve: `${SH} off shelved`,
    unshelve: NOT_SHELVED,
    reset: `${N} off reset`,
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} off suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  shelved_on: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${AU} on level_changed`,
    level_up: `${AU} on level_changed`,
    level_down: `${SH} on level_changed`,
    clear: `${SH} off returned_to_normal`,
    ack: 'HW_ALARM_SHELVED',
    comment: `${SH} on commented`,
    shelve: 'HW_ALARM_ALREADY_SHELVED',
    unshelve: `${AU} on unshelved`,
    reset: NOT_LATCHING,
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} on suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: 'HW_ALARM_SHELVE_NOT_DUE',
    expiry_due: `${AU} on shelve_expired`,
  },
  shelved_off: {
    raise: `${SH} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${SH} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_SHELVED',
    comment: `${SH} off commented`,
    shelve: 'HW_ALARM_ALREADY_SHELVED',
    unshelve: `${N} off unshelved`,
    reset: NOT_LATCHING,
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} off suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: 'HW_ALARM_SHELVE_NOT_DUE',
    expiry_due: `${N} off shelve_expired`,
  },
  shelved_off_latching: {
    raise: `${SH} on raised`,
    raise_worse: `${AU} on raised`,
    level_up: `${AU} on raised`,
    level_down: `${SH} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_SHELVED',
    comment: `${SH} off commented`,
    shelve: 'HW_ALARM_ALREADY_SHELVED',
    unshelve: `${L} off unshelved`,
    reset: 'HW_ALARM_SHELVED',
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: `${SU} off suppressed`,
    unsuppress: NOT_SUPPRESSED,
    expiry: 'HW_ALARM_SHELVE_NOT_DUE',
    expiry_due: `${L} off shelve_expired`,
  },
  suppressed_on: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${SU} on level_changed`,
    level_up: `${SU} on level_changed`,
    level_down: `${SU} on level_changed`,
    clear: `${SU} off returned_to_normal`,
    ack: 'HW_ALARM_SUPPRESSED',
    comment: `${SU} on commented`,
    shelve: 'HW_ALARM_SUPPRESSED',
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: `${OOS} on removed_from_service`,
    return: NOT_OOS,
    suppress: 'HW_ALARM_ALREADY_SUPPRESSED',
    unsuppress: `${AU} on unsuppressed`,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  suppressed_off: {
    raise: `${SU} on raised`,
    raise_worse: `${SU} on raised`,
    level_up: `${SU} on raised`,
    level_down: `${SU} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_SUPPRESSED',
    comment: `${SU} off commented`,
    shelve: 'HW_ALARM_SUPPRESSED',
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: 'HW_ALARM_ALREADY_SUPPRESSED',
    unsuppress: `${N} off unsuppressed`,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  suppressed_off_latching: {
    raise: `${SU} on raised`,
    raise_worse: `${SU} on raised`,
    level_up: `${SU} on raised`,
    level_down: `${SU} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_SUPPRESSED',
    comment: `${SU} off commented`,
    shelve: 'HW_ALARM_SUPPRESSED',
    unshelve: NOT_SHELVED,
    reset: 'HW_ALARM_SUPPRESSED',
    remove: `${OOS} off removed_from_service`,
    return: NOT_OOS,
    suppress: 'HW_ALARM_ALREADY_SUPPRESSED',
    unsuppress: `${L} off unsuppressed`,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  oos_on: {
    raise: 'HW_ALARM_ALREADY_ACTIVE',
    raise_worse: `${OOS} on level_changed`,
    level_up: `${OOS} on level_changed`,
    level_down: `${OOS} on level_changed`,
    clear: `${OOS} off returned_to_normal`,
    ack: 'HW_ALARM_OUT_OF_SERVICE',
    comment: `${OOS} on commented`,
    shelve: 'HW_ALARM_OUT_OF_SERVICE',
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: 'HW_ALARM_ALREADY_OUT_OF_SERVICE',
    return: `${AU} on returned_to_service`,
    suppress: 'HW_ALARM_OUT_OF_SERVICE',
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  oos_off: {
    raise: `${OOS} on raised`,
    raise_worse: `${OOS} on raised`,
    level_up: `${OOS} on raised`,
    level_down: `${OOS} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_OUT_OF_SERVICE',
    comment: `${OOS} off commented`,
    shelve: 'HW_ALARM_OUT_OF_SERVICE',
    unshelve: NOT_SHELVED,
    reset: NOT_LATCHING,
    remove: 'HW_ALARM_ALREADY_OUT_OF_SERVICE',
    return: `${N} off returned_to_service`,
    suppress: 'HW_ALARM_OUT_OF_SERVICE',
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
  oos_off_latching: {
    raise: `${OOS} on raised`,
    raise_worse: `${OOS} on raised`,
    level_up: `${OOS} on raised`,
    level_down: `${OOS} on raised`,
    clear: 'HW_ALARM_ALREADY_CLEAR',
    ack: 'HW_ALARM_OUT_OF_SERVICE',
    comment: `${OOS} off commented`,
    shelve: 'HW_ALARM_OUT_OF_SERVICE',
    unshelve: NOT_SHELVED,
    reset: 'HW_ALARM_OUT_OF_SERVICE',
    remove: 'HW_ALARM_ALREADY_OUT_OF_SERVICE',
    return: `${L} off returned_to_service`,
    suppress: 'HW_ALARM_OUT_OF_SERVICE',
    unsuppress: NOT_SUPPRESSED,
    expiry: NOT_SHELVED,
    expiry_due: NOT_SHELVED,
  },
};

function summary(result: AlarmInputResult): string {
  if (!result.ok) return result.error.code;
  return `${result.alarm.state} ${result.alarm.conditionActive ? 'on' : 'off'} ${result.events.map((e) => e.type).join(',')}`;
}

const cells = (Object.keys(ROWS) as Row[]).flatMap((row) => (Object.keys(COLUMNS) as Column[]).map((column) => ({ row, column })));

describe('applyAlarmInput: the full state × input matrix', () => {
  it('covers every state and every input type', () => {
    const inputTypes = new Set(Object.values(COLUMNS).map((c) => c.input.type));
    expect([...inputTypes].sort()).toEqual(
      [
        'acknowledge',
        'comment',
        'remove_from_service',
        'reset',
        'return_to_service',
        'shelve',
        'shelve_expiry',
        'suppress',
        'transition',
        'unshelve',
        'unsuppress',
      ].sort(),
    );
    const states = new Set(Object.values(ROWS).flatMap((a) => (a === null ? [] : [a.state])));
    expect(states.size).toBe(8);
    expect(cells.length).toBe(18 * 16);
  });

  it.each(cells)('$row × $column', ({ row, column }) => {
    const before = ROWS[row];
    const { input, now } = COLUMNS[column];
    const result = applyAlarmInput(before, input, now);
    expect(summary(result)).toBe(EXPECTED[row][column]);
    if (!result.ok) {
      expect(result.error.name).toBe('AlarmError');
      return;
    }
    // Every accepted input bumps the version once and describes its change.
    expect(result.alarm.version).toBe(before === null ? 1 : before.version + 1);
    const [first] = result.events;
    expect(first?.stateBefore).toBe(before === null ? null : before.state);
    expect(result.events.at(-1)?.stateAfter).toBe(result.alarm.state);
    for (const e of result.events) expect(e.alarmId).toBe(result.alarm.id);
    // Hidden or closed alarms keep no shelve time unless shelved.
    expect(result.alarm.shelvedUntil !== null).toBe(result.alarm.state === 'shelved');
  });
});

describe('applyAlarmInput: details of the transitions', () => {
  const ack: AlarmInput = { type: 'acknowledge', eventId: 'ev-1', actor: 'op-9', comment: 'seen' };

  it('opens an alarm on a raise, with the transition id as event id and alarm id', () => {
    const r = applyAlarmInput(null, { type: 'transition', transition: transition('raise', 'H', 'orange', { at: T0 }) }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ id: 'tr-raise-H', state: AU, colour: 'orange', raisedAt: T0, unacknowledgedSince: T0, version: 1 });
    expect(r.ok && r.events[0]).toMatchObject({ id: 'tr-raise-H', actor: 'engine', type: 'raised', stateBefore: null, message: 'level raise' });
  });

  it('takes a given alarm id for a new alarm', () => {
    const r = applyAlarmInput(null, { type: 'transition', transition: transition('raise', 'H', 'orange'), alarmId: 'alarm-77' }, NOW);
    expect(r.ok && r.alarm.id).toBe('alarm-77');
  });

  it('treats a raise without a colour as red (fail-safe)', () => {
    const r = applyAlarmInput(null, { type: 'transition', transition: transition('raise', 'H', null) }, NOW);
    expect(r.ok && r.alarm.colour).toBe('red');
  });

  it('refuses a transition about another subject', () => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'transition', transition: transition('clear', null, null, { subject: 'point:2' }) }, NOW);
    expect(!r.ok && r.error.code).toBe('HW_ALARM_SUBJECT_MISMATCH');
  });

  it('re-annunciates an acknowledged alarm that gets worse, and counts escalation from then', () => {
    const r = applyAlarmInput(alarmIn(AA), { type: 'transition', transition: transition('level', 'HH', 'red', { at: NOW }) }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: AU, colour: 'red', level: 'HH', acknowledgedAt: null, acknowledgedBy: null, unacknowledgedSince: NOW });
  });

  it('a more severe level ends a shelve: a shelved first gas level must not hide the second', () => {
    const shelved = alarmIn(SH, { conditionActive: true, colour: 'orange', level: 'L1', acknowledgedAt: T0, acknowledgedBy: 'op-1' });
    const r = applyAlarmInput(shelved, { type: 'transition', transition: transition('level', 'L2', 'red') }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: AU, shelvedUntil: null, colour: 'red', acknowledgedAt: null, unacknowledgedSince: NOW });
    expect(r.ok && r.events[0]?.reason).toMatch(/shelve ends/);
    const milder = applyAlarmInput(shelved, { type: 'transition', transition: transition('level', 'L0', 'yellow') }, NOW);
    expect(milder.ok && milder.alarm).toMatchObject({ state: SH, shelvedUntil: SHELVED_UNTIL });
  });

  it('keeps the acknowledgement when the level gets milder', () => {
    const r = applyAlarmInput(alarmIn(AA), { type: 'transition', transition: transition('level', 'L', 'yellow') }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: AA, colour: 'yellow', acknowledgedBy: 'op-1', unacknowledgedSince: null });
  });

  it('keeps the unacknowledged time of an alarm that gets worse before anyone acknowledged it', () => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'transition', transition: transition('level', 'HH', 'red') }, NOW);
    expect(r.ok && r.alarm.unacknowledgedSince).toBe(T0);
  });

  it('records the clear time and value, keeps the level reached', () => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'transition', transition: transition('clear', null, null) }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ clearedAt: NOW, value: 12, level: 'H', colour: 'orange' });
  });

  it('acknowledges with who, when and the comment', () => {
    const r = applyAlarmInput(alarmIn(AU), ack, NOW);
    expect(r.ok && r.alarm).toMatchObject({ acknowledgedAt: NOW, acknowledgedBy: 'op-9', unacknowledgedSince: null });
    expect(r.ok && r.events[0]).toMatchObject({ id: 'ev-1', actor: 'op-9', at: NOW, reason: 'seen' });
  });

  it('a reset acknowledges an unacknowledged latch', () => {
    const r = applyAlarmInput(alarmIn(L, { latching: true }), { type: 'reset', eventId: 'ev-r', actor: 'op-3' }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: N, acknowledgedAt: NOW, acknowledgedBy: 'op-3' });
  });

  it('a reset keeps an earlier acknowledgement', () => {
    const latched = alarmIn(L, { latching: true, acknowledgedAt: T0 + MIN, acknowledgedBy: 'op-1', unacknowledgedSince: null });
    const r = applyAlarmInput(latched, { type: 'reset', eventId: 'ev-r', actor: 'op-3' }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ acknowledgedAt: T0 + MIN, acknowledgedBy: 'op-1' });
  });

  it('shelves until now + duration and records the reason', () => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'shelve', eventId: 'ev-s', actor: 'op-1', durationMs: 30 * MIN, reason: 'maintenance' }, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: SH, shelvedUntil: NOW + 30 * MIN, unacknowledgedSince: null });
    expect(r.ok && r.events[0]?.reason).toBe('maintenance');
  });

  it.each([
    { durationMs: 0, code: 'HW_ALARM_SHELVE_DURATION_INVALID' },
    { durationMs: -5, code: 'HW_ALARM_SHELVE_DURATION_INVALID' },
    { durationMs: 12 * 60 * MIN + 1, code: 'HW_ALARM_SHELVE_DURATION_INVALID' },
    { durationMs: 1.5, code: 'HW_ALARM_SHELVE_DURATION_INVALID' },
  ])('refuses a shelve of $durationMs ms', ({ durationMs, code }) => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'shelve', eventId: 'ev-s', actor: 'op-1', durationMs, reason: 'x' }, NOW);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('accepts the longest shelve and honours a configured maximum', () => {
    const input: AlarmInput = { type: 'shelve', eventId: 'ev-s', actor: 'op-1', durationMs: 12 * 60 * MIN, reason: 'x' };
    expect(applyAlarmInput(alarmIn(AU), input, NOW).ok).toBe(true);
    const r = applyAlarmInput(alarmIn(AU), input, NOW, { maxShelveMs: 60 * MIN });
    expect(!r.ok && r.error.code).toBe('HW_ALARM_SHELVE_DURATION_INVALID');
  });

  it.each([
    { input: { type: 'shelve', eventId: 'e', actor: 'a', durationMs: MIN, reason: '  ' } },
    { input: { type: 'remove_from_service', eventId: 'e', actor: 'a', reason: '' } },
    { input: { type: 'suppress', eventId: 'e', actor: 'a', reason: ' ' } },
    { input: { type: 'comment', eventId: 'e', actor: 'a', text: '' } },
  ] satisfies { input: AlarmInput }[])('refuses $input.type without a reason', ({ input }) => {
    const r = applyAlarmInput(alarmIn(AU), input, NOW);
    expect(!r.ok && r.error.code).toBe('HW_ALARM_REASON_REQUIRED');
  });

  it('records who took an alarm out of service and why', () => {
    const r = applyAlarmInput(alarmIn(AU), { type: 'remove_from_service', eventId: 'ev-o', actor: 'tech-4', reason: 'detector replaced' }, NOW);
    expect(r.ok && r.events[0]).toMatchObject({ type: 'removed_from_service', actor: 'tech-4', reason: 'detector replaced', at: NOW });
  });

  it.each([
    {
      name: 'unshelve',
      from: alarmIn(SH, { conditionActive: true, acknowledgedAt: T0, acknowledgedBy: 'op-1' }),
      input: { type: 'unshelve', eventId: 'e', actor: 'a' },
    },
    { name: 'return to service', from: alarmIn(OOS, { conditionActive: true }), input: { type: 'return_to_service', eventId: 'e', actor: 'a' } },
    { name: 'unsuppress', from: alarmIn(SU, { conditionActive: true }), input: { type: 'unsuppress', eventId: 'e', actor: 'a' } },
  ] satisfies { name: string; from: Alarm; input: AlarmInput }[])('$name with the condition active asks for a fresh acknowledgement', ({ from, input }) => {
    const r = applyAlarmInput(from, input, NOW);
    expect(r.ok && r.alarm).toMatchObject({ state: AU, acknowledgedAt: null, acknowledgedBy: null, unacknowledgedSince: NOW, shelvedUntil: null });
  });

  it('a latched alarm that comes back asks for acknowledgement or reset', () => {
    const r = applyAlarmInput(
      alarmIn(OOS, { latching: true, acknowledgedAt: T0, acknowledgedBy: 'op-1' }),
      { type: 'return_to_service', eventId: 'e', actor: 'a' },
      NOW,
    );
    expect(r.ok && r.alarm).toMatchObject({ state: L, acknowledgedAt: null, unacknowledgedSince: NOW });
    expect(r.ok && awaitsAcknowledgement(r.alarm)).toBe(true);
  });

  it('a shelve expiry is stamped with the shelve end and has a deterministic id', () => {
    const r = applyAlarmInput(alarmIn(SH, { conditionActive: true }), { type: 'shelve_expiry' }, SHELVED_UNTIL + 30_000);
    expect(r.ok && r.events).toEqual([expect.objectContaining({ id: `a1:shelve_expired:${SHELVED_UNTIL}`, at: SHELVED_UNTIL, actor: 'system' })]);
    expect(r.ok && r.alarm.unacknowledgedSince).toBe(SHELVED_UNTIL);
  });

  it('a shelve that ran out expires before a person acts on the alarm', () => {
    const r = applyAlarmInput(alarmIn(SH, { conditionActive: true }), ack, SHELVED_UNTIL + MIN);
    expect(r.ok && r.events.map((e) => [e.type, e.stateBefore, e.stateAfter])).toEqual([
      ['shelve_expired', SH, AU],
      ['acknowledged', AU, AA],
    ]);
    expect(r.ok && r.alarm.version).toBe(8);
  });

  it('a shelve that ran out does not swallow a new raise', () => {
    const raise = transition('raise', 'H', 'orange', { at: SHELVED_UNTIL + MIN });
    const r = applyAlarmInput(alarmIn(SH, { conditionActive: false }), { type: 'transition', transition: raise }, SHELVED_UNTIL + MIN);
    expect(r.ok && r.events.map((e) => [e.type, e.stateAfter])).toEqual([
      ['shelve_expired', N],
      ['raised', AU],
    ]);
  });

  it('a raise timed inside the shelve but handled after it is applied first, then the shelve expires', () => {
    const raise = transition('raise', 'H', 'orange', { at: SHELVED_UNTIL - 1000 });
    const r = applyAlarmInput(alarmIn(SH, { conditionActive: false }), { type: 'transition', transition: raise }, SHELVED_UNTIL + 5000);
    expect(r.ok && r.events.map((e) => [e.type, e.at, e.stateAfter])).toEqual([
      ['raised', SHELVED_UNTIL - 1000, SH],
      ['shelve_expired', SHELVED_UNTIL, AU],
    ]);
    expect(r.ok && r.alarm).toMatchObject({ state: AU, conditionActive: true, unacknowledgedSince: SHELVED_UNTIL, version: 8 });
  });

  it('a gas alarm latches until reset (GB 16808): raise, acknowledge, clear, reset', () => {
    const gas = (kind: AlarmTransition['kind'], at: number) =>
      transition(kind, kind === 'clear' ? null : 'L2', kind === 'clear' ? null : 'red', { latching: true, at, id: `g-${kind}-${at}` });
    const steps: { input: AlarmInput; now: number; expect: string }[] = [
      { input: { type: 'transition', transition: gas('raise', T0) }, now: T0, expect: `${AU} on raised` },
      { input: { type: 'reset', eventId: 'r1', actor: 'op' }, now: T0 + MIN, expect: 'HW_ALARM_RESET_CONDITION_ACTIVE' },
      { input: { type: 'acknowledge', eventId: 'k1', actor: 'op' }, now: T0 + MIN, expect: `${AA} on acknowledged` },
      { input: { type: 'transition', transition: gas('clear', T0 + 5 * MIN) }, now: T0 + 5 * MIN, expect: `${L} off returned_to_normal` },
      { input: { type: 'transition', transition: gas('raise', T0 + 6 * MIN) }, now: T0 + 6 * MIN, expect: `${AU} on raised` },
      { input: { type: 'transition', transition: gas('clear', T0 + 7 * MIN) }, now: T0 + 7 * MIN, expect: `${L} off returned_to_normal` },
      { input: { type: 'reset', eventId: 'r2', actor: 'op' }, now: T0 + 8 * MIN, expect: `${N} off reset` },
    ];
    let alarm: Alarm | null = null;
    const seen: string[] = [];
    for (const s of steps) {
      const r = applyAlarmInput(alarm, s.input, s.now);
      seen.push(summary(r));
      if (r.ok) alarm = r.alarm;
    }
    expect(seen).toEqual(steps.map((s) => s.expect));
    expect(alarm?.version).toBe(6);
  });
});

describe('applyAlarmInput: invariants over random histories', () => {
  const inputArb: fc.Arbitrary<AlarmInput> = fc.oneof(
    fc
      .record({
        kind: fc.constantFrom<AlarmTransition['kind']>('raise', 'level', 'clear'),
        colour: fc.constantFrom<Colour | null>('red', 'orange', 'yellow', 'blue', null),
      })
      .map(({ kind, colour }) => ({
        type: 'transition' as const,
        transition: transition(kind, kind === 'clear' ? null : (colour ?? 'x'), kind === 'clear' ? null : colour),
      })),
    fc.constantFrom<AlarmInput>(
      { type: 'acknowledge', eventId: 'e', actor: 'a' },
      { type: 'comment', eventId: 'e', actor: 'a', text: 't' },
      { type: 'shelve', eventId: 'e', actor: 'a', durationMs: 5 * MIN, reason: 'r' },
      { type: 'unshelve', eventId: 'e', actor: 'a' },
      { type: 'reset', eventId: 'e', actor: 'a' },
      { type: 'remove_from_service', eventId: 'e', actor: 'a', reason: 'r' },
      { type: 'return_to_service', eventId: 'e', actor: 'a' },
      { type: 'suppress', eventId: 'e', actor: 'a', reason: 'r' },
      { type: 'unsuppress', eventId: 'e', actor: 'a' },
      { type: 'shelve_expiry' },
    ),
  );

  it('keeps the condition, the state, the acknowledgement and the version consistent', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 4 * MIN })), { maxLength: 40 }), (latching, steps) => {
        let alarm: Alarm | null = null;
        let now = T0;
        for (const [input, gap] of steps) {
          now += gap;
          const timed: AlarmInput = input.type === 'transition' ? { ...input, transition: { ...input.transition, at: now, latching } } : input;
          const r = applyAlarmInput(alarm, timed, now);
          if (!r.ok) continue;
          const a = r.alarm;
          expect(a.version).toBe(alarm === null ? 1 : alarm.version + 1);
          if (a.state === AU || a.state === AA) expect(a.conditionActive).toBe(true);
          if (a.state === RU || a.state === L) expect(a.conditionActive).toBe(false);
          if (a.state === L) expect(a.latching).toBe(true);
          if (a.state === RU) expect(a.latching).toBe(false);
          expect(a.shelvedUntil !== null).toBe(a.state === SH);
          // Something awaits acknowledgement exactly when the escalation clock runs.
          expect(a.unacknowledgedSince !== null).toBe(awaitsAcknowledgement(a));
          if (a.state === AA) expect(a.acknowledgedAt).not.toBeNull();
          // Events chain: each starts where the previous ended.
          let state: AlarmState | null = alarm === null ? null : alarm.state;
          for (const e of r.events) {
            expect(e.stateBefore).toBe(state);
            state = e.stateAfter;
          }
          expect(state).toBe(a.state);
          // A closed alarm starts afresh on the next raise.
          alarm = a.state === N ? null : a;
        }
      }),
      { numRuns: 400 },
    );
  });
});
