/**
 * THE alarm store: the only code that reads or writes `alarms` and `alarm_events`.
 *
 * Services (rules-worker, api, dispatch) must not touch these tables directly, not even
 * for a "small" update: every change goes through {@link applyAlarmInputs}, which runs the
 * ISA-18.2 state machine of `@hazardwatch/alarms` under a row lock and appends the events in
 * the same transaction. That is what makes these guarantees hold:
 * - one open alarm per (rule, subject) (unique partial index, plus a retry on a concurrent create);
 * - no lost update: the open row is locked (`SELECT … FOR UPDATE`) and written with a version check;
 * - idempotency: an input whose event id (transition id, the API's event id) is already stored is
 *   not applied again; the stored events are returned as `duplicate`, so a retried job or request
 *   never makes a second event or a second alarm;
 * - `seq` order is commit order: events are inserted under a transaction-level advisory lock held
 *   until COMMIT, so a reader that saw seq N will never later find a smaller seq appear (the live
 *   stream replays by seq, Last-Event-ID).
 * Publishing committed events (BullMQ, Redis pub/sub) is the caller's job, after commit.
 */
import { type AlarmErrorCode, type AlarmEventDraft, type AlarmInput, type AlarmMachineOptions, applyAlarmInput } from '@hazardwatch/alarms';
import { type Alarm, type AlarmCategory, type AlarmEvent, AlarmSchema, type AlarmState, type Colour } from '@hazardwatch/contracts';
import { DbError } from '../errors.js';
import { type Pool, type PoolClient, withTransaction } from '../pool.js';
import { pgSafeText } from '../transient.js';
import { type AlarmEventRow, alarmEventColumns, alarmEventFromRow, EVENT_ORDER_LOCK_KEY } from './alarm-event-rows.js';

type Queryable = Pool | PoolClient;

/** Codes of this store's own errors and refusals (the state machine's are `HW_ALARM_*`). */
export const AlarmStoreErrorCode = {
  /** Concurrent writers kept colliding on the same alarm; nothing was written. Retry later. */
  Conflict: 'HW_DB_ALARM_CONFLICT',
  /** The transition names an enterprise the registry does not have (no region code to file it under). */
  EnterpriseNotFound: 'HW_DB_ALARM_ENTERPRISE_NOT_FOUND',
  /** A list cursor that this store did not produce. */
  BadCursor: 'HW_DB_ALARM_BAD_CURSOR',
  /** Not applied because another input of the same call had to apply and was refused (see `requireApplied`). */
  RolledBack: 'HW_DB_ALARM_ROLLED_BACK',
} as const;
export type AlarmStoreErrorCode = (typeof AlarmStoreErrorCode)[keyof typeof AlarmStoreErrorCode];

/** Which alarm an input is for: the open alarm of a (rule, subject) (engine transitions), or one alarm by id (people, timers). */
export type AlarmKey = { ruleId: string; subject: string } | { alarmId: string };

/** One input to apply; inputs of one call are applied in order, in one transaction. */
export type AlarmInputItem = { key: AlarmKey; input: AlarmInput };

/**
 * Outcome of one input:
 * - applied: the alarm row as written and the events appended (with `seq` and `regionCode`);
 * - duplicate: the input's event id was already stored (a retried job or request): nothing was
 *   written; `events` are those its first application wrote, `alarm` the row as it is now;
 * - refused: the state machine (`HW_ALARM_*`) or the store (`HW_DB_ALARM_*`) said no; nothing written.
 */
export type AlarmItemResult =
  | { status: 'applied'; alarm: Alarm; events: AlarmEvent[] }
  | { status: 'duplicate'; alarm: Alarm | null; events: AlarmEvent[] }
  | { status: 'refused'; code: AlarmErrorCode | AlarmStoreErrorCode; message: string };

export type ApplyAlarmInputsResult = {
  /** One per input, in input order. */
  results: AlarmItemResult[];
  /** Events committed by this call, in seq order. */
  events: AlarmEvent[];
  /** Events found already stored for duplicate inputs, in seq order (publish them again: delivery is idempotent by event id). */
  duplicateEvents: AlarmEvent[];
  refusals: Array<{ index: number; code: AlarmErrorCode | AlarmStoreErrorCode; message: string }>;
};

const MAX_ATTEMPTS = 6;

class RetryTransaction extends Error {}

const ms = (col: string): string => `(extract(epoch FROM ${col}) * 1000)::float8`;
const ts = (param: string): string => `to_timestamp(${param}::float8 / 1000)`;

const ALARM_COLUMNS = `a.id, a.rule_id, a.subject, a.enterprise_id, a.hazard_source_id, a.vehicle_id, a.category, a.state,
  a.condition_active, a.latching, a.colour, a.level, a.value, a.message, ${ms('a.raised_at')} AS raised_at,
  ${ms('a.acknowledged_at')} AS acknowledged_at, a.acknowledged_by, ${ms('a.unacknowledged_since')} AS unacknowledged_since,
  ${ms('a.cleared_at')} AS cleared_at, ${ms('a.shelved_until')} AS shelved_until, a.version`;

const EVENT_COLUMNS = alarmEventColumns('e');

type AlarmRow = {
  id: string;
  rule_id: string | null;
  subject: string;
  enterprise_id: string;
  hazard_source_id: string | null;
  vehicle_id: string | null;
  category: string;
  state: string;
  condition_active: boolean;
  latching: boolean;
  colour: string;
  level: string | null;
  value: number | null;
  message: string;
  raised_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  unacknowledged_since: number | null;
  cleared_at: number | null;
  shelved_until: number | null;
  version: number;
};

const roundMs = (v: number | null): number | null => (v === null ? null : Math.round(v));

function toAlarm(r: AlarmRow): Alarm {
  return AlarmSchema.parse({
    id: r.id,
    ruleId: r.rule_id,
    subject: r.subject,
    enterpriseId: r.enterprise_id,
    hazardSourceId: r.hazard_source_id,
    vehicleId: r.vehicle_id,
    category: r.category,
    state: r.state,
    conditionActive: r.condition_active,
    latching: r.latching,
    colour: r.colour,
    level: r.level,
    value: r.value,
    message: r.message,
    raisedAt: Math.round(r.raised_at),
    acknowledgedAt: roundMs(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    unacknowledgedSince: roundMs(r.unacknowledged_since),
    clearedAt: roundMs(r.cleared_at),
    shelvedUntil: roundMs(r.shelved_until),
    version: r.version,
  });
}

/** The id of the event an input produces first (its idempotency key), or null for a timer (shelve expiry). */
function causeIdOf(input: AlarmInput): string | null {
  if (input.type === 'transition') return input.transition.id;
  if (input.type === 'shelve_expiry') return null;
  return input.eventId;
}

async function lockAlarm(c: PoolClient, key: AlarmKey): Promise<Alarm | null> {
  const r =
    'alarmId' in key
      ? await c.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms a WHERE a.id = $1 FOR UPDATE`, [key.alarmId])
      : await c.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms a WHERE a.rule_id = $1 AND a.subject = $2 AND a.open FOR UPDATE`, [
          key.ruleId,
          key.subject,
        ]);
  const row = r.rows[0];
  return row ? toAlarm(row) : null;
}

async function eventsOfCause(db: Queryable, causeId: string): Promise<AlarmEvent[]> {
  const r = await db.query<AlarmEventRow>(`SELECT ${EVENT_COLUMNS} FROM alarm_events e WHERE e.cause_id = $1 OR e.id = $1 ORDER BY e.seq`, [causeId]);
  return r.rows.map(alarmEventFromRow);
}

/** Fields of the row that the Alarm shape does not carry: who took it out of service and why. */
function outOfServiceFacts(before: Alarm | null, after: Alarm, input: AlarmInput): { by: string | null; reason: string | null } | 'keep' {
  if (after.state !== 'out_of_service') return { by: null, reason: null };
  if (input.type === 'remove_from_service') return { by: input.actor, reason: pgSafeText(input.reason) };
  return before?.state === 'out_of_service' ? 'keep' : { by: null, reason: null };
}

async function writeAlarm(c: PoolClient, before: Alarm | null, after: Alarm, input: AlarmInput, now: number): Promise<void> {
  const open = after.state !== 'normal';
  const oos = outOfServiceFacts(before, after, input);
  const common = [
    after.state,
    after.conditionActive,
    after.latching,
    after.colour,
    after.level,
    after.value,
    pgSafeText(after.message),
    after.acknowledgedAt,
    after.acknowledgedBy === null ? null : pgSafeText(after.acknowledgedBy),
    after.unacknowledgedSince,
    after.clearedAt,
    after.shelvedUntil,
    after.version,
    open,
    now,
  ];
  if (before === null) {
    await c.query(
      `INSERT INTO alarms (state, condition_active, latching, colour, level, value, message, acknowledged_at, acknowledged_by,
         unacknowledged_since, cleared_at, shelved_until, version, open, closed_at,
         id, rule_id, subject, enterprise_id, hazard_source_id, vehicle_id, category, raised_at, out_of_service_by, out_of_service_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, ${ts('$8')}, $9, ${ts('$10')}, ${ts('$11')}, ${ts('$12')}, $13, $14,
         CASE WHEN $14 THEN NULL ELSE ${ts('$15')} END,
         $16, $17, $18, $19, $20, $21, $22, ${ts('$23')}, $24, $25)`,
      [
        ...common,
        after.id,
        after.ruleId,
        after.subject,
        after.enterpriseId,
        after.hazardSourceId,
        after.vehicleId,
        after.category,
        after.raisedAt,
        oos === 'keep' ? null : oos.by,
        oos === 'keep' ? null : oos.reason,
      ],
    );
    return;
  }
  const r = await c.query(
    `UPDATE alarms SET state = $1, condition_active = $2, latching = $3, colour = $4, level = $5, value = $6, message = $7,
       acknowledged_at = ${ts('$8')}, acknowledged_by = $9, unacknowledged_since = ${ts('$10')}, cleared_at = ${ts('$11')},
       shelved_until = ${ts('$12')}, version = $13, open = $14,
       closed_at = CASE WHEN $14 THEN NULL ELSE coalesce(closed_at, ${ts('$15')}) END,
       out_of_service_by = CASE WHEN $18 THEN out_of_service_by ELSE $19 END,
       out_of_service_reason = CASE WHEN $18 THEN out_of_service_reason ELSE $20 END,
       updated_at = now()
     WHERE id = $16 AND version = $17`,
    [...common, before.id, before.version, oos === 'keep', oos === 'keep' ? null : oos.by, oos === 'keep' ? null : oos.reason],
  );
  // The row is locked, so this only happens if someone wrote it without the lock: start again.
  if (r.rowCount !== 1) throw new RetryTransaction(`alarm ${before.id} changed under its lock`);
}

async function insertEvent(c: PoolClient, e: AlarmEventDraft, regionCode: string, causeId: string | null): Promise<AlarmEvent> {
  const r = await c.query<{ seq: number }>(
    `INSERT INTO alarm_events (id, alarm_id, type, at, actor, enterprise_id, region_code, hazard_source_id, vehicle_id, rule_id, subject,
       category, colour, level, state_before, state_after, value, reason, message, cause_id)
     VALUES ($1, $2, $3, ${ts('$4')}, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     ON CONFLICT (id) DO NOTHING RETURNING seq`,
    [
      e.id,
      e.alarmId,
      e.type,
      e.at,
      pgSafeText(e.actor),
      e.enterpriseId,
      regionCode,
      e.hazardSourceId,
      e.vehicleId,
      e.ruleId,
      e.subject,
      e.category,
      e.colour,
      e.level,
      e.stateBefore,
      e.stateAfter,
      e.value,
      e.reason === null ? null : pgSafeText(e.reason),
      pgSafeText(e.message),
      causeId,
    ],
  );
  const seq = r.rows[0]?.seq;
  // Another writer stored this event id since we looked: start again (the repeat is then found as a duplicate).
  if (seq === undefined) throw new RetryTransaction(`event ${e.id} already stored`);
  return { ...e, seq, regionCode };
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  // 23505: two writers created the same (rule, subject) alarm at once; 40P01 deadlock; 40001 serialization.
  return code === '23505' || code === '40P01' || code === '40001';
}

/** Thrown inside the transaction to roll it back when an input that had to apply was refused. */
class RequiredRefused extends Error {
  constructor(readonly result: ApplyAlarmInputsResult) {
    super('a required alarm input was refused');
  }
}

async function applyOnce(
  pool: Pool,
  items: readonly AlarmInputItem[],
  now: number,
  machine: Partial<AlarmMachineOptions>,
  requireApplied: readonly number[],
): Promise<ApplyAlarmInputsResult> {
  return withTransaction(pool, async (c) => {
    const results: AlarmItemResult[] = [];
    const pending: Array<{ index: number; draft: AlarmEventDraft; regionCode: string; causeId: string | null }> = [];
    const pendingCauses = new Set<string>();
    const regions = new Map<string, string | null>();
    const regionOf = async (enterpriseId: string): Promise<string | null> => {
      if (!regions.has(enterpriseId)) {
        const r = await c.query<{ region_code: string }>('SELECT region_code FROM enterprises WHERE id = $1', [enterpriseId]);
        regions.set(enterpriseId, r.rows[0]?.region_code ?? null);
      }
      return regions.get(enterpriseId) ?? null;
    };

    for (const [index, item] of items.entries()) {
      const alarm = await lockAlarm(c, item.key);
      const cause = causeIdOf(item.input);
      if (cause !== null) {
        // Checked under the row lock: a writer that stored this input before us has committed by now.
        const stored = pendingCauses.has(cause) ? [] : await eventsOfCause(c, cause);
        if (stored.length > 0 || pendingCauses.has(cause)) {
          const first = stored[0];
          results.push({ status: 'duplicate', alarm: first ? await getAlarm(c, first.alarmId) : alarm, events: stored });
          continue;
        }
      }
      const out = applyAlarmInput(alarm, item.input, now, machine);
      if (!out.ok) {
        results.push({ status: 'refused', code: out.error.code, message: out.error.message });
        continue;
      }
      const regionCode = await regionOf(out.alarm.enterpriseId);
      if (regionCode === null) {
        results.push({ status: 'refused', code: AlarmStoreErrorCode.EnterpriseNotFound, message: `enterprise ${out.alarm.enterpriseId} is not registered` });
        continue;
      }
      await writeAlarm(c, alarm, out.alarm, item.input, now);
      for (const draft of out.events) pending.push({ index, draft, regionCode, causeId: cause });
      if (cause !== null) pendingCauses.add(cause);
      results.push({ status: 'applied', alarm: out.alarm, events: [] });
    }

    const mustFail = requireApplied.filter((i) => results[i]?.status === 'refused');
    if (mustFail.length > 0) {
      const refusals = results.flatMap((r, index) => (r.status === 'refused' ? [{ index, code: r.code, message: r.message }] : []));
      const none = results.map(
        (r): AlarmItemResult =>
          r.status === 'applied' ? { status: 'refused', code: AlarmStoreErrorCode.RolledBack, message: 'not applied: a required input was refused' } : r,
      );
      throw new RequiredRefused({ results: none, events: [], duplicateEvents: [], refusals });
    }

    const events: AlarmEvent[] = [];
    if (pending.length > 0) {
      await c.query('SELECT pg_advisory_xact_lock($1)', [EVENT_ORDER_LOCK_KEY]);
      for (const p of pending) {
        const ev = await insertEvent(c, p.draft, p.regionCode, p.causeId);
        events.push(ev);
        const res = results[p.index];
        if (res?.status === 'applied') res.events.push(ev);
      }
    }
    const duplicateEvents = results.flatMap((r) => (r.status === 'duplicate' ? r.events : [])).sort((a, b) => a.seq - b.seq);
    const refusals = results.flatMap((r, index) => (r.status === 'refused' ? [{ index, code: r.code, message: r.message }] : []));
    return { results, events, duplicateEvents, refusals };
  });
}

/**
 * Applies alarm inputs (engine transitions, people's actions, shelve expiries) in ONE
 * transaction, in order. For each input: lock the alarm row (the open alarm of the rule and
 * subject, or the alarm by id; none → a raise creates one), skip it as `duplicate` if its event
 * id is already stored, run `applyAlarmInput` (`@hazardwatch/alarms`), write the row with a
 * version check and append the events (region code from the enterprise). A refusal of one
 * input does not stop the others. Collisions with concurrent writers (two creators of one
 * alarm, deadlocks) restart the transaction a few times, then throw `HW_DB_ALARM_CONFLICT`.
 * Database outages throw the driver's error (`isTransientDbError` tells): retry the call as a
 * whole, it is idempotent.
 *
 * `now` is the time of a person's action or of the timer, and the clock the shelve expiry is
 * judged by; engine transitions carry their own `at`.
 *
 * `requireApplied` lists inputs (by index) that must be applied (or found `duplicate`): if one is
 * refused, the whole call is rolled back and every input that would have applied is reported
 * refused with `HW_DB_ALARM_ROLLED_BACK` (a latch reset: the engine's clear and the person's reset
 * go together or not at all).
 */
export async function applyAlarmInputs(
  pool: Pool,
  items: readonly AlarmInputItem[],
  now: number,
  options: { machine?: Partial<AlarmMachineOptions>; requireApplied?: readonly number[] } = {},
): Promise<ApplyAlarmInputsResult> {
  if (items.length === 0) return { results: [], events: [], duplicateEvents: [], refusals: [] };
  let lastErr: unknown;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      return await applyOnce(pool, items, now, options.machine ?? {}, options.requireApplied ?? []);
    } catch (err) {
      if (err instanceof RequiredRefused) return err.result;
      if (!isRetryable(err)) throw err;
      lastErr = err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
  throw new DbError(AlarmStoreErrorCode.Conflict, `alarm inputs kept colliding with concurrent writers (${MAX_ATTEMPTS} attempts)`, { cause: lastErr });
}

/**
 * Appends events that change no alarm state (e.g. `escalated` from dispatch) to an existing
 * alarm, idempotently by event id, under the same seq ordering as {@link applyAlarmInputs}.
 * Returns the events stored now (with seq) and those already stored.
 */
export async function appendAlarmEvents(pool: Pool, drafts: readonly AlarmEventDraft[]): Promise<{ events: AlarmEvent[]; duplicateEvents: AlarmEvent[] }> {
  if (drafts.length === 0) return { events: [], duplicateEvents: [] };
  return withTransaction(pool, async (c) => {
    const events: AlarmEvent[] = [];
    const duplicateEvents: AlarmEvent[] = [];
    await c.query('SELECT pg_advisory_xact_lock($1)', [EVENT_ORDER_LOCK_KEY]);
    for (const d of drafts) {
      const stored = await eventsOfCause(c, d.id);
      if (stored.length > 0) {
        duplicateEvents.push(...stored);
        continue;
      }
      const r = await c.query<{ region_code: string }>('SELECT region_code FROM enterprises WHERE id = $1', [d.enterpriseId]);
      const region = r.rows[0]?.region_code;
      if (region === undefined) throw new DbError(AlarmStoreErrorCode.EnterpriseNotFound, `enterprise ${d.enterpriseId} is not registered`);
      events.push(await insertEvent(c, d, region, d.id));
    }
    return { events, duplicateEvents };
  });
}

// ---------------------------------------------------------------- queries

/** One alarm by id, or null. */
export async function getAlarm(db: Queryable, alarmId: string): Promise<Alarm | null> {
  const r = await db.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms a WHERE a.id = $1`, [alarmId]);
  const row = r.rows[0];
  return row ? toAlarm(row) : null;
}

/** Events written by one input (a transition id, a person's event id), in seq order; empty if it was never applied. */
export async function listEventsOfInput(db: Queryable, inputId: string): Promise<AlarmEvent[]> {
  return eventsOfCause(db, inputId);
}

/** The open alarm of a rule and subject, or null. */
export async function getOpenAlarm(db: Queryable, ruleId: string, subject: string): Promise<Alarm | null> {
  const r = await db.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms a WHERE a.rule_id = $1 AND a.subject = $2 AND a.open`, [ruleId, subject]);
  const row = r.rows[0];
  return row ? toAlarm(row) : null;
}

/**
 * Filters of {@link listAlarms}; every given filter must hold. A scope is `enterpriseIds`
 * (an enterprise user) and/or `regionPrefix` (a regulator: 2, 4 or 6 digits of GB/T 2260).
 */
export type AlarmFilter = {
  enterpriseIds?: readonly string[] | undefined;
  regionPrefix?: string | undefined;
  hazardSourceId?: string | undefined;
  vehicleId?: string | undefined;
  ruleId?: string | undefined;
  states?: readonly AlarmState[] | undefined;
  colours?: readonly Colour[] | undefined;
  categories?: readonly AlarmCategory[] | undefined;
  /** true: open alarms only; false: closed only. */
  open?: boolean | undefined;
  /** Raised at or after (epoch ms). */
  raisedFrom?: number | undefined;
  /** Raised before (epoch ms). */
  raisedTo?: number | undefined;
};

export type AlarmPage = { items: Alarm[]; nextCursor: string | null };

function checkRegionPrefix(p: string | undefined): string | null {
  if (p === undefined) return null;
  // Digits only: the prefix goes into LIKE, where % and _ would widen it.
  if (!/^(\d{2}|\d{4}|\d{6})$/.test(p)) throw new TypeError('region prefix must be 2, 4 or 6 digits');
  return p;
}

function encodeCursor(raisedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([raisedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through to the refusal: a cursor we did not make
  }
  throw new DbError(AlarmStoreErrorCode.BadCursor, 'invalid alarm list cursor');
}

/** Alarms newest first (by raise time, then id), a page at a time; pass `nextCursor` back for the next page. */
export async function listAlarms(db: Queryable, filter: AlarmFilter, page: { limit?: number; cursor?: string | null } = {}): Promise<AlarmPage> {
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000);
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const r = await db.query<AlarmRow>(
    `SELECT ${ALARM_COLUMNS} FROM alarms a
      WHERE ($1::text[] IS NULL OR a.enterprise_id = ANY($1))
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM enterprises en WHERE en.id = a.enterprise_id AND en.region_code LIKE $2 || '%'))
        AND ($3::text IS NULL OR a.hazard_source_id = $3)
        AND ($4::text IS NULL OR a.vehicle_id = $4)
        AND ($5::text IS NULL OR a.rule_id = $5)
        AND ($6::text[] IS NULL OR a.state = ANY($6))
        AND ($7::text[] IS NULL OR a.colour = ANY($7))
        AND ($8::text[] IS NULL OR a.category = ANY($8))
        AND ($9::boolean IS NULL OR a.open = $9)
        AND ($10::float8 IS NULL OR a.raised_at >= ${ts('$10')})
        AND ($11::float8 IS NULL OR a.raised_at < ${ts('$11')})
        AND ($12::float8 IS NULL OR (a.raised_at, a.id) < (${ts('$12')}, $13::text))
      ORDER BY a.raised_at DESC, a.id DESC
      LIMIT $14`,
    [
      filter.enterpriseIds ? [...filter.enterpriseIds] : null,
      checkRegionPrefix(filter.regionPrefix),
      filter.hazardSourceId ?? null,
      filter.vehicleId ?? null,
      filter.ruleId ?? null,
      filter.states ? [...filter.states] : null,
      filter.colours ? [...filter.colours] : null,
      filter.categories ? [...filter.categories] : null,
      filter.open ?? null,
      filter.raisedFrom ?? null,
      filter.raisedTo ?? null,
      after ? after[0] : null,
      after ? after[1] : null,
      limit + 1,
    ],
  );
  const rows = r.rows.slice(0, limit).map(toAlarm);
  const last = rows.at(-1);
  return { items: rows, nextCursor: r.rows.length > limit && last ? encodeCursor(last.raisedAt, last.id) : null };
}

/** Events of one alarm in seq order (its audit trail), optionally after a seq. */
export async function listAlarmEvents(db: Queryable, alarmId: string, opts: { afterSeq?: number; limit?: number } = {}): Promise<AlarmEvent[]> {
  const r = await db.query<AlarmEventRow>(`SELECT ${EVENT_COLUMNS} FROM alarm_events e WHERE e.alarm_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`, [
    alarmId,
    opts.afterSeq ?? 0,
    Math.min(Math.max(opts.limit ?? 1000, 1), 10_000),
  ]);
  return r.rows.map(alarmEventFromRow);
}

/**
 * Events after `afterSeq` in seq order, for the live stream's replay (Last-Event-ID) and for
 * KPIs. Scope: `enterpriseIds` and/or `regionPrefix` (both null/absent: every event, admin only).
 * Seq order is commit order, so paging by the last seq never skips an event.
 */
export async function listEventsAfter(
  db: Queryable,
  q: {
    afterSeq: number;
    enterpriseIds?: readonly string[] | undefined;
    regionPrefix?: string | undefined;
    types?: readonly AlarmEvent['type'][] | undefined;
    limit?: number | undefined;
  },
): Promise<AlarmEvent[]> {
  const r = await db.query<AlarmEventRow>(
    `SELECT ${EVENT_COLUMNS} FROM alarm_events e
      WHERE e.seq > $1
        AND ($2::text[] IS NULL OR e.enterprise_id = ANY($2))
        AND ($3::text IS NULL OR e.region_code LIKE $3 || '%')
        AND ($4::text[] IS NULL OR e.type = ANY($4))
      ORDER BY e.seq LIMIT $5`,
    [
      q.afterSeq,
      q.enterpriseIds ? [...q.enterpriseIds] : null,
      checkRegionPrefix(q.regionPrefix),
      q.types ? [...q.types] : null,
      Math.min(Math.max(q.limit ?? 1000, 1), 10_000),
    ],
  );
  return r.rows.map(alarmEventFromRow);
}

/** Events of a scope within [from, to) by event time, seq order (KPIs over a window). */
export async function listEventsBetween(
  db: Queryable,
  q: { from: number; to: number; enterpriseIds?: readonly string[] | undefined; regionPrefix?: string | undefined; limit?: number | undefined },
): Promise<AlarmEvent[]> {
  const r = await db.query<AlarmEventRow>(
    `SELECT ${EVENT_COLUMNS} FROM alarm_events e
      WHERE e.at >= ${ts('$1')} AND e.at < ${ts('$2')}
        AND ($3::text[] IS NULL OR e.enterprise_id = ANY($3))
        AND ($4::text IS NULL OR e.region_code LIKE $4 || '%')
      ORDER BY e.seq LIMIT $5`,
    [q.from, q.to, q.enterpriseIds ? [...q.enterpriseIds] : null, checkRegionPrefix(q.regionPrefix), Math.min(Math.max(q.limit ?? 100_000, 1), 1_000_000)],
  );
  return r.rows.map(alarmEventFromRow);
}

/** The highest seq stored (0 when none): where a new live stream starts. */
export async function latestAlarmEventSeq(db: Queryable): Promise<number> {
  const r = await db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM alarm_events');
  return r.rows[0]?.seq ?? 0;
}

/**
 * Shelved alarms whose shelve has run out at `now`, earliest first: the timer sends each a
 * `shelve_expiry` input through {@link applyAlarmInputs} (two timers doing so is safe: the second is refused).
 */
export async function listDueShelveExpiries(db: Queryable, now: number, limit = 500): Promise<Alarm[]> {
  const r = await db.query<AlarmRow>(
    `SELECT ${ALARM_COLUMNS} FROM alarms a WHERE a.state = 'shelved' AND a.shelved_until <= ${ts('$1')} ORDER BY a.shelved_until LIMIT $2`,
    [now, limit],
  );
  return r.rows.map(toAlarm);
}

/** The earliest shelve end still to come (to sleep until), or null. */
export async function nextShelveExpiry(db: Queryable): Promise<number | null> {
  const r = await db.query<{ at: number | null }>(`SELECT ${ms('min(shelved_until)')} AS at FROM alarms WHERE state = 'shelved'`);
  return roundMs(r.rows[0]?.at ?? null);
}
