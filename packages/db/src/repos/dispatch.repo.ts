import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type AlarmEvent,
  type AlarmEventType,
  type DispatchScope,
  type DispatchTargetView,
  DispatchTargetViewSchema,
  type EscalationTier,
  type NewDispatchTarget,
} from '@hazardwatch/contracts';
import { DbError, DbErrorCode } from '../errors.js';
import type { Pool, PoolClient } from '../pool.js';
import { type AlarmEventRow, alarmEventColumns, alarmEventFromRow, EVENT_ORDER_LOCK_KEY } from './alarm-event-rows.js';

type Queryable = Pool | PoolClient;

/** Epoch ms of a timestamptz column, as an int8 (parsed to a JS number by pool.ts). */
const ms = (col: string): string => `floor(extract(epoch FROM ${col}) * 1000)::int8`;
/** A JS epoch-ms parameter as timestamptz. */
const ts = (param: string): string => `to_timestamp(${param}::float8 / 1000.0)`;

// ================================================================ secrets

/**
 * Seals target signing secrets at rest. The secret must be usable in clear to sign
 * (HMAC), so it cannot be hashed: it is encrypted with AES-256-GCM under a key from
 * configuration (`DISPATCH_SECRET_KEY`, 32 bytes base64). A database dump without the
 * key reveals no secret. Without a key, secrets are stored as-is under key id `plain`
 * (development only; dispatch logs a warning). Earlier keys may be given to open
 * secrets sealed before a key rotation; new seals always use the current key.
 */
export interface SecretBox {
  /** Id of the sealing key (first 16 hex digits of its SHA-256), or `plain`. */
  readonly keyId: string;
  seal(secret: string): { keyId: string; sealed: Buffer };
  open(keyId: string, sealed: Buffer): string;
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new DbError('HW_DB_SECRET_KEY_INVALID', 'a dispatch secret key must be 32 bytes, base64-encoded');
  return key;
}

/** A {@link SecretBox} over `key` (base64, 32 bytes) and any `previousKeys`; no key = stored as-is. */
export function createSecretBox(opts: { key?: string | undefined; previousKeys?: readonly string[] } = {}): SecretBox {
  const keys = new Map<string, Buffer>();
  const current = opts.key ? parseKey(opts.key) : null;
  if (current) keys.set(keyIdOf(current), current);
  for (const k of opts.previousKeys ?? []) {
    const b = parseKey(k);
    keys.set(keyIdOf(b), b);
  }
  const keyId = current ? keyIdOf(current) : 'plain';
  return {
    keyId,
    seal(secret) {
      if (!current) return { keyId: 'plain', sealed: Buffer.from(secret, 'utf8') };
      // 96-bit random nonce per seal (GCM's recommended size); layout: nonce | tag | ciphertext.
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return { keyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]) };
    },
    open(id, sealed) {
      if (id === 'plain') return sealed.toString('utf8');
      const key = keys.get(id);
      if (!key) throw new DbError('HW_DB_SECRET_KEY_UNKNOWN', `no configured dispatch secret key has id ${id}`);
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

// ================================================================ targets

type TargetRow = {
  id: string;
  name: string;
  url: string;
  allow_insecure_http: boolean;
  scope_enterprise_id: string | null;
  scope_region_prefix: string | null;
  min_colour: string;
  event_types: string[];
  enabled: boolean;
};

const TARGET_COLUMNS = 'id, name, url, allow_insecure_http, scope_enterprise_id, scope_region_prefix, min_colour, event_types, enabled';

function targetView(r: TargetRow): DispatchTargetView {
  const scope: DispatchScope = r.scope_enterprise_id !== null ? { enterpriseId: r.scope_enterprise_id } : { regionPrefix: r.scope_region_prefix ?? '' };
  return DispatchTargetViewSchema.parse({
    id: r.id,
    name: r.name,
    url: r.url,
    allowInsecureHttp: r.allow_insecure_http,
    scope,
    minColour: r.min_colour,
    eventTypes: r.event_types,
    enabled: r.enabled,
  });
}

function scopeColumns(scope: DispatchScope): [string | null, string | null] {
  return 'enterpriseId' in scope ? [scope.enterpriseId, null] : [null, scope.regionPrefix];
}

function conflict(err: unknown, what: string): never {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === '23505') throw new DbError(DbErrorCode.Conflict, `${what} already exists`, { cause: err });
  if (code === '23503') throw new DbError(DbErrorCode.Conflict, `${what} names an enterprise that does not exist`, { cause: err });
  throw err;
}

/**
 * Store a new target (validated by `NewDispatchTargetSchema`), its secret sealed by
 * `box`. Returns the public view: the secret is write-only. The id is generated
 * unless given (fixtures, imports).
 */
export async function createDispatchTarget(db: Queryable, box: SecretBox, t: NewDispatchTarget, opts: { id?: string } = {}): Promise<DispatchTargetView> {
  const id = opts.id ?? `tgt_${randomUUID()}`;
  const [ent, prefix] = scopeColumns(t.scope);
  const { keyId, sealed } = box.seal(t.secret);
  try {
    const r = await db.query<TargetRow>(
      `INSERT INTO dispatch_targets (id, name, url, allow_insecure_http, scope_enterprise_id, scope_region_prefix, min_colour, event_types, enabled,
                                     secret_key_id, secret_sealed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${TARGET_COLUMNS}`,
      [id, t.name, t.url, t.allowInsecureHttp, ent, prefix, t.minColour, t.eventTypes, t.enabled, keyId, sealed],
    );
    const row = r.rows[0];
    if (!row) throw new DbError(DbErrorCode.Conflict, 'insert returned no row');
    return targetView(row);
  } catch (err) {
    conflict(err, `dispatch target ${id}`);
  }
}

/** One target (not deleted), without its secret; null when absent. */
export async function getDispatchTarget(db: Queryable, id: string): Promise<DispatchTargetView | null> {
  const r = await db.query<TargetRow>(`SELECT ${TARGET_COLUMNS} FROM dispatch_targets WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return r.rows[0] ? targetView(r.rows[0]) : null;
}

/** Filters of {@link listDispatchTargets}. */
export interface DispatchTargetQuery {
  /** Targets scoped to this enterprise. */
  enterpriseId?: string | undefined;
  /**
   * Targets inside this jurisdiction: regulator targets whose prefix starts with it,
   * and control-room targets of enterprises whose region code does (a city sees its
   * own and its counties' targets, never another city's).
   */
  regionPrefix?: string | undefined;
  enabled?: boolean | undefined;
  /** Keyset paging: ids greater than this. */
  afterId?: string | undefined;
  limit?: number | undefined;
}

/** Targets (not deleted), by id, without secrets. */
export async function listDispatchTargets(db: Queryable, q: DispatchTargetQuery = {}): Promise<DispatchTargetView[]> {
  if (q.regionPrefix !== undefined && !/^(\d{2}|\d{4}|\d{6})$/.test(q.regionPrefix)) throw new TypeError('region prefix must be 2, 4 or 6 digits');
  const r = await db.query<TargetRow>(
    `SELECT ${TARGET_COLUMNS.split(', ')
      .map((c) => `t.${c}`)
      .join(', ')}
       FROM dispatch_targets t LEFT JOIN enterprises e ON e.id = t.scope_enterprise_id
      WHERE t.deleted_at IS NULL
        AND ($1::text IS NULL OR t.scope_enterprise_id = $1)
        AND ($2::text IS NULL OR t.scope_region_prefix LIKE $2 || '%' OR e.region_code LIKE $2 || '%')
        AND ($3::boolean IS NULL OR t.enabled = $3)
        AND ($4::text IS NULL OR t.id > $4)
      ORDER BY t.id LIMIT $5`,
    [q.enterpriseId ?? null, q.regionPrefix ?? null, q.enabled ?? null, q.afterId ?? null, Math.min(Math.max(q.limit ?? 100, 1), 1000)],
  );
  return r.rows.map(targetView);
}

/** Fields of a target that an update may change (the secret has its own call). */
export type DispatchTargetPatch = Partial<Pick<NewDispatchTarget, 'name' | 'url' | 'allowInsecureHttp' | 'scope' | 'minColour' | 'eventTypes' | 'enabled'>>;

/**
 * Change a target; fields left out keep their value. The merged URL must still be
 * https unless `allowInsecureHttp` (`HW_DB_CONFLICT` otherwise). Null when absent.
 */
export async function updateDispatchTarget(db: Queryable, id: string, patch: DispatchTargetPatch): Promise<DispatchTargetView | null> {
  const current = await getDispatchTarget(db, id);
  if (!current) return null;
  const merged = { ...current, ...patch };
  if (new URL(merged.url).protocol === 'http:' && !merged.allowInsecureHttp)
    throw new DbError(DbErrorCode.Conflict, 'the URL must be https (http only with allowInsecureHttp)');
  const [ent, prefix] = scopeColumns(merged.scope);
  try {
    const r = await db.query<TargetRow>(
      `UPDATE dispatch_targets SET name = $2, url = $3, allow_insecure_http = $4, scope_enterprise_id = $5, scope_region_prefix = $6,
              min_colour = $7, event_types = $8, enabled = $9, updated_at = now()
        WHERE id = $1 AND deleted_at IS NULL RETURNING ${TARGET_COLUMNS}`,
      [id, merged.name, merged.url, merged.allowInsecureHttp, ent, prefix, merged.minColour, merged.eventTypes, merged.enabled],
    );
    return r.rows[0] ? targetView(r.rows[0]) : null;
  } catch (err) {
    conflict(err, `dispatch target ${id}`);
  }
}

/** Replace a target's signing secret (rotation). False when the target does not exist. */
export async function rotateDispatchTargetSecret(db: Queryable, box: SecretBox, id: string, secret: string): Promise<boolean> {
  const { keyId, sealed } = box.seal(secret);
  const r = await db.query(`UPDATE dispatch_targets SET secret_key_id = $2, secret_sealed = $3, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`, [
    id,
    keyId,
    sealed,
  ]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Remove a target: it is disabled and hidden, its delivery history stays. Deliveries
 * still pending are dead-lettered by dispatch (`target_disabled`) when next tried.
 */
export async function deleteDispatchTarget(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query(`UPDATE dispatch_targets SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return (r.rowCount ?? 0) > 0;
}

/** Every enabled target, without secrets: what the fan-out matches events against. */
export async function listEnabledDispatchTargets(db: Queryable): Promise<DispatchTargetView[]> {
  const r = await db.query<TargetRow>(`SELECT ${TARGET_COLUMNS} FROM dispatch_targets WHERE enabled AND deleted_at IS NULL ORDER BY id`);
  return r.rows.map(targetView);
}

// ================================================================ dispatch's own events

const EVENT_COLUMNS = alarmEventColumns();

/** The event types dispatch stores itself. Escalations go to the alarm store (`appendAlarmEvents`). */
export type DispatchEventType = Extract<AlarmEventType, 'enterprise_offline' | 'enterprise_online'>;

/** An event dispatch produces itself (enterprise offline/online), before it has a seq. */
export type DispatchEventDraft = Omit<AlarmEvent, 'seq' | 'type'> & { type: DispatchEventType };

/**
 * Append an event of dispatch's own, its seq drawn from alarm_events' sequence under
 * the alarm store's event-order lock. Call inside a transaction (the lock is held to
 * COMMIT). Idempotent by id: storing the same id again returns the stored event.
 */
export async function insertDispatchEvent(client: PoolClient, e: DispatchEventDraft): Promise<AlarmEvent> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [EVENT_ORDER_LOCK_KEY]);
  const r = await client.query<AlarmEventRow>(
    `WITH ins AS (
       INSERT INTO dispatch_events (id, alarm_id, type, at, actor, enterprise_id, region_code, hazard_source_id, vehicle_id, rule_id, subject, category,
                                    colour, level, state_before, state_after, value, reason, message)
       VALUES ($1, $2, $3, ${ts('$4')}, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       ON CONFLICT (id) DO NOTHING RETURNING ${EVENT_COLUMNS})
     SELECT * FROM ins UNION ALL SELECT ${EVENT_COLUMNS} FROM dispatch_events WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    [
      e.id,
      e.alarmId,
      e.type,
      e.at,
      e.actor,
      e.enterpriseId,
      e.regionCode,
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
      e.reason,
      e.message,
    ],
  );
  const row = r.rows[0];
  if (!row) throw new DbError(DbErrorCode.Conflict, `dispatch event ${e.id} was neither stored nor found`);
  return alarmEventFromRow(row);
}

/** Whom a live-stream subscriber follows: one enterprise, or a region prefix. */
export type EventScope = DispatchScope;

/**
 * Dispatch's own events after `afterSeq`, oldest first: of one alarm (up to `uptoSeq`),
 * in a scope, or all. The alarm store's `listEventsAfter` / `listAlarmEvents` give the
 * rest; callers merge by seq.
 */
export async function listDispatchEvents(
  db: Queryable,
  q: { afterSeq: number; uptoSeq?: number | undefined; alarmId?: string | undefined; scope?: EventScope | undefined; limit?: number | undefined },
): Promise<AlarmEvent[]> {
  const [ent, prefix] = q.scope ? scopeColumns(q.scope) : [null, null];
  if (prefix !== null && !/^(\d{2}|\d{4}|\d{6})$/.test(prefix)) throw new TypeError('region prefix must be 2, 4 or 6 digits');
  const r = await db.query<AlarmEventRow>(
    `SELECT ${EVENT_COLUMNS} FROM dispatch_events
      WHERE seq > $1 AND ($2::int8 IS NULL OR seq <= $2) AND ($3::text IS NULL OR alarm_id = $3)
        AND ($4::text IS NULL OR enterprise_id = $4) AND ($5::text IS NULL OR region_code LIKE $5 || '%')
      ORDER BY seq LIMIT $6`,
    [q.afterSeq, q.uptoSeq ?? null, q.alarmId ?? null, ent, prefix, Math.min(Math.max(q.limit ?? 1000, 1), 10_000)],
  );
  return r.rows.map(alarmEventFromRow);
}

/** The highest seq of dispatch's own events (0 when none). */
export async function latestDispatchEventSeq(db: Queryable): Promise<number> {
  const r = await db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM dispatch_events');
  return r.rows[0]?.seq ?? 0;
}

// ================================================================ escalation notices

/** What an `escalated` event tells and whom: the webhook's `escalation` field and the tiers to deliver to. */
export interface EscalationNotice {
  eventId: string;
  alarmId: string;
  tier: EscalationTier;
  stage: number;
  reminder: number;
  kind: 'escalation' | 'reminder';
  tellTiers: EscalationTier[];
}

export async function insertEscalationNotice(db: Queryable, n: EscalationNotice): Promise<void> {
  await db.query(
    `INSERT INTO escalation_notices (event_id, alarm_id, tier, stage, reminder, kind, tell_tiers) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (event_id) DO NOTHING`,
    [n.eventId, n.alarmId, n.tier, n.stage, n.reminder, n.kind, n.tellTiers],
  );
}

export async function escalationNotices(db: Queryable, eventIds: readonly string[]): Promise<Map<string, EscalationNotice>> {
  if (eventIds.length === 0) return new Map();
  const r = await db.query<{
    event_id: string;
    alarm_id: string;
    tier: EscalationTier;
    stage: number;
    reminder: number;
    kind: 'escalation' | 'reminder';
    tell_tiers: EscalationTier[];
  }>(`SELECT event_id, alarm_id, tier, stage, reminder, kind, tell_tiers FROM escalation_notices WHERE event_id = ANY($1::text[])`, [eventIds]);
  return new Map(
    r.rows.map((x) => [
      x.event_id,
      { eventId: x.event_id, alarmId: x.alarm_id, tier: x.tier, stage: x.stage, reminder: x.reminder, kind: x.kind, tellTiers: x.tell_tiers },
    ]),
  );
}

// ================================================================ fan-out

/**
 * The fan-out sweeper's cursor, created on first use at `initialSeq` (the newest event
 * then): history older than dispatch itself is never fanned out by the sweeper or by
 * the catch-up of an alarm's earlier events.
 */
export async function dispatchCursor(db: Queryable, initialSeq: number): Promise<{ baseSeq: number; seq: number }> {
  await db.query(`INSERT INTO dispatch_cursor (name, base_seq, seq) VALUES ('fanout', $1, $1) ON CONFLICT (name) DO NOTHING`, [initialSeq]);
  const r = await db.query<{ base_seq: number; seq: number }>(`SELECT base_seq, seq FROM dispatch_cursor WHERE name = 'fanout'`);
  const row = r.rows[0];
  if (!row) throw new DbError(DbErrorCode.Conflict, 'dispatch cursor missing');
  return { baseSeq: row.base_seq, seq: row.seq };
}

export async function advanceDispatchCursor(db: Queryable, seq: number): Promise<void> {
  await db.query(`UPDATE dispatch_cursor SET seq = greatest(seq, $1), updated_at = now() WHERE name = 'fanout'`, [seq]);
}

/** Which of these events have been fanned out already. */
export async function fannedOutEventIds(db: Queryable, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const r = await db.query<{ event_id: string }>(`SELECT event_id FROM dispatch_fanouts WHERE event_id = ANY($1::text[])`, [eventIds]);
  return new Set(r.rows.map((x) => x.event_id));
}

/**
 * Whether an event has been fanned out, and the highest fanned-out seq of its alarm (0
 * when none). The fan-out of an event also handles the alarm's earlier unfanned events
 * in the same transaction, so every event of the alarm below that seq (and after the
 * cursor's base) has been fanned out too. Run it after {@link lockAlarmFanOut}, as its
 * own statement (a statement's snapshot is taken before it waits for a lock).
 */
export async function fanOutStateOfAlarm(db: Queryable, alarmId: string, eventId: string): Promise<{ done: boolean; lastSeq: number }> {
  const r = await db.query<{ done: boolean; last: number | null }>(
    `SELECT EXISTS (SELECT 1 FROM dispatch_fanouts WHERE event_id = $2) AS done, (SELECT max(event_seq) FROM dispatch_fanouts WHERE alarm_id = $1) AS last`,
    [alarmId, eventId],
  );
  return { done: r.rows[0]?.done === true, lastSeq: r.rows[0]?.last ?? 0 };
}

/** Serialise fan-outs of one alarm (transaction-scoped), so its deliveries are created in event order. */
export async function lockAlarmFanOut(client: PoolClient, alarmId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('hw-dispatch-fanout'), hashtext($1))`, [alarmId]);
}

/** One delivery to create: the event's serialised webhook body for one target. */
export interface NewDelivery {
  eventId: string;
  eventSeq: number;
  eventType: AlarmEventType;
  alarmId: string;
  enterpriseId: string;
  regionCode: string;
  targetId: string;
  body: string;
}

/**
 * Record an event's fan-out, in one statement: its deliveries (unique per event and
 * target, so a repeat is a no-op) and the fan-out row. Returns the deliveries created
 * now. Run it in the transaction that handles the alarm's earlier events, so they
 * commit together.
 */
export async function recordFanOut(
  db: Queryable,
  e: { eventId: string; eventSeq: number; alarmId: string },
  deliveries: readonly NewDelivery[],
): Promise<DeliveryRef[]> {
  const r = await db.query<DeliveryRef>(
    `WITH f AS (
       INSERT INTO dispatch_fanouts (event_id, event_seq, alarm_id, deliveries) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING)
     INSERT INTO deliveries (event_id, event_seq, event_type, alarm_id, enterprise_id, region_code, target_id, body)
     SELECT * FROM unnest($5::text[], $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (event_id, target_id) DO NOTHING
     RETURNING id, chain`,
    [
      e.eventId,
      e.eventSeq,
      e.alarmId,
      deliveries.length,
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.eventSeq),
      deliveries.map((d) => d.eventType),
      deliveries.map((d) => d.alarmId),
      deliveries.map((d) => d.enterpriseId),
      deliveries.map((d) => d.regionCode),
      deliveries.map((d) => d.targetId),
      deliveries.map((d) => d.body),
    ],
  );
  return r.rows;
}

/** A delivery's queue handle: its id and current attempt chain. */
export interface DeliveryRef {
  id: number;
  chain: number;
}

/** Pending deliveries of these events (what the fan-out enqueues, again after a crash). */
export async function pendingDeliveriesOfEvents(db: Queryable, eventIds: readonly string[]): Promise<DeliveryRef[]> {
  if (eventIds.length === 0) return [];
  const r = await db.query<DeliveryRef>(`SELECT id, chain FROM deliveries WHERE event_id = ANY($1::text[]) AND status = 'pending' ORDER BY event_seq, id`, [
    eventIds,
  ]);
  return r.rows;
}

// ================================================================ deliveries

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';
export type DeadReason = 'not_retryable' | 'attempts_exhausted' | 'target_disabled';
export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error';

/** What an attempt needs: the delivery, its target's URL and secret (opened). */
export interface DeliveryForAttempt {
  id: number;
  eventId: string;
  eventType: AlarmEventType;
  eventSeq: number;
  alarmId: string;
  status: DeliveryStatus;
  chain: number;
  chainAttempts: number;
  body: string;
  /** An earlier event of the same alarm still waits to reach the same target: this one must wait for it. */
  waitsForEarlier: boolean;
  target: { id: string; url: string; secret: string; usable: boolean };
}

export async function loadDeliveryForAttempt(db: Queryable, box: SecretBox, id: number): Promise<DeliveryForAttempt | null> {
  const r = await db.query<{
    id: number;
    event_id: string;
    event_type: AlarmEventType;
    event_seq: number;
    alarm_id: string;
    status: DeliveryStatus;
    chain: number;
    chain_attempts: number;
    body: string;
    target_id: string;
    url: string;
    usable: boolean;
    secret_key_id: string;
    secret_sealed: Buffer;
    waits: boolean;
  }>(
    `SELECT d.id, d.event_id, d.event_type, d.event_seq, d.alarm_id, d.status, d.chain, d.chain_attempts, d.body, d.target_id,
            t.url, (t.enabled AND t.deleted_at IS NULL) AS usable, t.secret_key_id, t.secret_sealed,
            EXISTS (SELECT 1 FROM deliveries e WHERE e.alarm_id = d.alarm_id AND e.target_id = d.target_id AND e.status = 'pending'
                      AND e.event_seq < d.event_seq AND e.id <> d.id) AS waits
       FROM deliveries d JOIN dispatch_targets t ON t.id = d.target_id WHERE d.id = $1`,
    [id],
  );
  const x = r.rows[0];
  if (!x) return null;
  return {
    id: x.id,
    eventId: x.event_id,
    eventType: x.event_type,
    eventSeq: x.event_seq,
    alarmId: x.alarm_id,
    status: x.status,
    chain: x.chain,
    chainAttempts: x.chain_attempts,
    body: x.body,
    waitsForEarlier: x.waits,
    target: { id: x.target_id, url: x.url, secret: box.open(x.secret_key_id, x.secret_sealed), usable: x.usable },
  };
}

/** The next pending delivery of the same alarm to the same target (to wake it when this one is done). */
export async function nextPendingDelivery(
  db: Queryable,
  d: { alarmId: string; targetId: string; eventSeq: number },
): Promise<(DeliveryRef & { chainAttempts: number }) | null> {
  const r = await db.query<{ id: number; chain: number; chain_attempts: number }>(
    `SELECT id, chain, chain_attempts FROM deliveries WHERE alarm_id = $1 AND target_id = $2 AND status = 'pending' AND event_seq > $3
      ORDER BY event_seq LIMIT 1`,
    [d.alarmId, d.targetId, d.eventSeq],
  );
  const x = r.rows[0];
  return x ? { id: x.id, chain: x.chain, chainAttempts: x.chain_attempts } : null;
}

/** One attempt and what follows it. */
export interface AttemptRecord {
  deliveryId: number;
  chain: number;
  startedAt: number;
  latencyMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  then: { kind: 'delivered' } | { kind: 'retry'; at: number } | { kind: 'dead'; reason: DeadReason };
}

/** What {@link recordDeliveryAttempt} did: recorded or not, and the delivery to wake next. */
export interface AttemptRecorded {
  recorded: boolean;
  /**
   * When the delivery ended (delivered or dead): the next pending delivery of the same
   * alarm to the same target, if it has not been tried in its chain (it waits for this one).
   */
  next: DeliveryRef | null;
}

/**
 * Record an attempt and move the delivery on (delivered, retry at, dead), in one
 * statement. Only a pending delivery in the same chain moves: a replay or a duplicate
 * job that lost the race records nothing (`recorded` false).
 */
export async function recordDeliveryAttempt(db: Queryable, a: AttemptRecord): Promise<AttemptRecorded> {
  const status: DeliveryStatus = a.then.kind === 'delivered' ? 'delivered' : a.then.kind === 'dead' ? 'dead' : 'pending';
  const retryAt = a.then.kind === 'retry' ? a.then.at : null;
  const deadReason = a.then.kind === 'dead' ? a.then.reason : null;
  const r = await db.query<{ recorded: boolean; next_id: number | null; next_chain: number | null }>(
    `WITH upd AS (
       UPDATE deliveries SET status = $3, chain_attempts = chain_attempts + 1, attempts = attempts + 1,
              last_attempt_at = ${ts('$4')}, last_status = $7, last_error = $8,
              next_attempt_at = CASE WHEN $9::float8 IS NULL THEN next_attempt_at ELSE ${ts('$9')} END,
              delivered_at = CASE WHEN $3 = 'delivered' THEN ${ts('$4')} + ($5::int * INTERVAL '1 millisecond') END,
              dead_at = CASE WHEN $3 = 'dead' THEN ${ts('$4')} + ($5::int * INTERVAL '1 millisecond') END,
              dead_reason = $10
        WHERE id = $1 AND chain = $2 AND status = 'pending'
        RETURNING chain_attempts, alarm_id, target_id, event_seq),
     att AS (
       INSERT INTO delivery_attempts (delivery_id, chain, attempt, started_at, latency_ms, outcome, status_code, error, retry_at, dead)
       SELECT $1, $2, chain_attempts, ${ts('$4')}, $5, $6, $7, $8, CASE WHEN $9::float8 IS NULL THEN NULL ELSE ${ts('$9')} END, $3 = 'dead' FROM upd)
     SELECT EXISTS (SELECT 1 FROM upd) AS recorded, n.id AS next_id, n.chain AS next_chain
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (
         SELECT d.id, d.chain, d.chain_attempts FROM upd JOIN deliveries d
             ON d.alarm_id = upd.alarm_id AND d.target_id = upd.target_id AND d.status = 'pending' AND d.event_seq > upd.event_seq
          WHERE $3 <> 'pending' ORDER BY d.event_seq LIMIT 1) n ON n.chain_attempts = 0`,
    [a.deliveryId, a.chain, status, a.startedAt, Math.round(a.latencyMs), a.outcome, a.statusCode, a.error, retryAt, deadReason],
  );
  const row = r.rows[0];
  return {
    recorded: row?.recorded === true,
    next: row && row.next_id !== null && row.next_chain !== null ? { id: row.next_id, chain: row.next_chain } : null,
  };
}

/** Dead-letter a pending delivery without an attempt (its target was disabled or deleted). */
export async function deadLetterDelivery(db: Queryable, d: DeliveryRef, reason: DeadReason, now: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE deliveries SET status = 'dead', dead_at = ${ts('$4')}, dead_reason = $3, last_error = $3 WHERE id = $1 AND chain = $2 AND status = 'pending'`,
    [d.id, d.chain, reason, now],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Pending deliveries that should have been tried before `dueBefore` (the sweeper checks their jobs). */
export async function overdueDeliveries(db: Queryable, dueBefore: number, limit: number): Promise<DeliveryRef[]> {
  const r = await db.query<DeliveryRef>(
    `SELECT id, chain FROM deliveries WHERE status = 'pending' AND next_attempt_at < ${ts('$1')} ORDER BY next_attempt_at LIMIT $2`,
    [dueBefore, limit],
  );
  return r.rows;
}

/** One attempt as recorded. */
export interface DeliveryAttemptView {
  chain: number;
  attempt: number;
  startedAt: number;
  latencyMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  retryAt: number | null;
  dead: boolean;
}

/** A delivery as the API shows it (no body: it is the event, which has its own route). */
export interface DeliveryView {
  id: number;
  eventId: string;
  eventSeq: number;
  eventType: AlarmEventType;
  alarmId: string;
  enterpriseId: string;
  regionCode: string;
  targetId: string;
  status: DeliveryStatus;
  chain: number;
  attempts: number;
  chainAttempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  deadAt: number | null;
  deadReason: DeadReason | null;
  replayedAt: number | null;
  replayedBy: string | null;
  createdAt: number;
}

type DeliveryViewRow = {
  id: number;
  event_id: string;
  event_seq: number;
  event_type: AlarmEventType;
  alarm_id: string;
  enterprise_id: string;
  region_code: string;
  target_id: string;
  status: DeliveryStatus;
  chain: number;
  attempts: number;
  chain_attempts: number;
  next_attempt_ms: number | null;
  last_attempt_ms: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_ms: number | null;
  dead_ms: number | null;
  dead_reason: DeadReason | null;
  replayed_ms: number | null;
  replayed_by: string | null;
  created_ms: number;
};

const DELIVERY_VIEW_COLUMNS = `d.id, d.event_id, d.event_seq, d.event_type, d.alarm_id, d.enterprise_id, d.region_code, d.target_id, d.status, d.chain,
  d.attempts, d.chain_attempts, CASE WHEN d.status = 'pending' THEN ${ms('d.next_attempt_at')} END AS next_attempt_ms,
  ${ms('d.last_attempt_at')} AS last_attempt_ms, d.last_status, d.last_error, ${ms('d.delivered_at')} AS delivered_ms, ${ms('d.dead_at')} AS dead_ms,
  d.dead_reason, ${ms('d.replayed_at')} AS replayed_ms, d.replayed_by, ${ms('d.created_at')} AS created_ms`;

function deliveryView(x: DeliveryViewRow): DeliveryView {
  return {
    id: x.id,
    eventId: x.event_id,
    eventSeq: x.event_seq,
    eventType: x.event_type,
    alarmId: x.alarm_id,
    enterpriseId: x.enterprise_id,
    regionCode: x.region_code,
    targetId: x.target_id,
    status: x.status,
    chain: x.chain,
    attempts: x.attempts,
    chainAttempts: x.chain_attempts,
    nextAttemptAt: x.next_attempt_ms,
    lastAttemptAt: x.last_attempt_ms,
    lastStatus: x.last_status,
    lastError: x.last_error,
    deliveredAt: x.delivered_ms,
    deadAt: x.dead_ms,
    deadReason: x.dead_reason,
    replayedAt: x.replayed_ms,
    replayedBy: x.replayed_by,
    createdAt: x.created_ms,
  };
}

/** Filters shared by the delivery lists. A region prefix selects deliveries of enterprises in it. */
export interface DeliveryQuery {
  targetId?: string | undefined;
  eventId?: string | undefined;
  alarmId?: string | undefined;
  enterpriseId?: string | undefined;
  regionPrefix?: string | undefined;
  /** Keyset paging, newest first: ids smaller than this. */
  beforeId?: number | undefined;
  limit?: number | undefined;
}

function deliveryFilter(q: DeliveryQuery): { sql: string; args: unknown[] } {
  if (q.regionPrefix !== undefined && !/^(\d{2}|\d{4}|\d{6})$/.test(q.regionPrefix)) throw new TypeError('region prefix must be 2, 4 or 6 digits');
  return {
    sql: `($1::text IS NULL OR d.target_id = $1) AND ($2::text IS NULL OR d.event_id = $2) AND ($3::text IS NULL OR d.alarm_id = $3)
      AND ($4::text IS NULL OR d.enterprise_id = $4) AND ($5::text IS NULL OR d.region_code LIKE $5 || '%') AND ($6::int8 IS NULL OR d.id < $6)`,
    args: [q.targetId ?? null, q.eventId ?? null, q.alarmId ?? null, q.enterpriseId ?? null, q.regionPrefix ?? null, q.beforeId ?? null],
  };
}

/** Dead-lettered deliveries, newest first (by id). */
export async function listDeadDeliveries(db: Queryable, q: DeliveryQuery = {}): Promise<DeliveryView[]> {
  const f = deliveryFilter(q);
  const r = await db.query<DeliveryViewRow>(
    `SELECT ${DELIVERY_VIEW_COLUMNS} FROM deliveries d WHERE d.status = 'dead' AND ${f.sql} ORDER BY d.id DESC LIMIT $7`,
    [...f.args, Math.min(Math.max(q.limit ?? 100, 1), 1000)],
  );
  return r.rows.map(deliveryView);
}

/**
 * Delivery history: deliveries matching the filter (an event, a target, an alarm …),
 * newest first, each with every attempt of every chain, oldest attempt first.
 */
export async function deliveryHistory(db: Queryable, q: DeliveryQuery): Promise<Array<DeliveryView & { attemptLog: DeliveryAttemptView[] }>> {
  const f = deliveryFilter(q);
  const r = await db.query<DeliveryViewRow>(`SELECT ${DELIVERY_VIEW_COLUMNS} FROM deliveries d WHERE ${f.sql} ORDER BY d.id DESC LIMIT $7`, [
    ...f.args,
    Math.min(Math.max(q.limit ?? 100, 1), 1000),
  ]);
  const ids = r.rows.map((x) => x.id);
  const attempts = new Map<number, DeliveryAttemptView[]>();
  if (ids.length > 0) {
    const a = await db.query<{
      delivery_id: number;
      chain: number;
      attempt: number;
      started_ms: number;
      latency_ms: number;
      outcome: AttemptOutcome;
      status_code: number | null;
      error: string | null;
      retry_ms: number | null;
      dead: boolean;
    }>(
      `SELECT delivery_id, chain, attempt, ${ms('started_at')} AS started_ms, latency_ms, outcome, status_code, error, ${ms('retry_at')} AS retry_ms, dead
         FROM delivery_attempts WHERE delivery_id = ANY($1::int8[]) ORDER BY delivery_id, id`,
      [ids],
    );
    for (const x of a.rows) {
      const list = attempts.get(x.delivery_id) ?? [];
      list.push({
        chain: x.chain,
        attempt: x.attempt,
        startedAt: x.started_ms,
        latencyMs: x.latency_ms,
        outcome: x.outcome,
        statusCode: x.status_code,
        error: x.error,
        retryAt: x.retry_ms,
        dead: x.dead,
      });
      attempts.set(x.delivery_id, list);
    }
  }
  return r.rows.map((x) => ({ ...deliveryView(x), attemptLog: attempts.get(x.id) ?? [] }));
}

/**
 * Put dead deliveries back to pending with a fresh attempt chain (`chain + 1`, attempt
 * count of the chain 0): by id, or every dead delivery of a target. Their body and
 * idempotency key are unchanged. Returns the deliveries to enqueue; dispatch's sweeper
 * enqueues them too if the caller does not.
 */
export async function requeueDeadDeliveries(
  db: Queryable,
  which: { ids: readonly number[] } | { targetId: string },
  by: string,
  now: number,
): Promise<DeliveryRef[]> {
  const ids = 'ids' in which ? which.ids : null;
  const targetId = 'targetId' in which ? which.targetId : null;
  const r = await db.query<DeliveryRef>(
    `UPDATE deliveries SET status = 'pending', chain = chain + 1, chain_attempts = 0, next_attempt_at = ${ts('$3')},
            dead_at = NULL, dead_reason = NULL, replayed_at = ${ts('$3')}, replayed_by = $4
      WHERE status = 'dead' AND ($1::int8[] IS NULL OR id = ANY($1::int8[])) AND ($2::text IS NULL OR target_id = $2)
      RETURNING id, chain`,
    [ids, targetId, now, by],
  );
  return r.rows.sort((a, b) => a.id - b.id);
}

// ================================================================ escalation timers

/**
 * Make these alarms' escalation timers due now (an event arrived: the alarm is re-read).
 * Clears any lease, so a claim running meanwhile does not overwrite the timer.
 */
export async function touchEscalationTimers(db: Queryable, alarmIds: readonly string[], now: number): Promise<void> {
  if (alarmIds.length === 0) return;
  await db.query(
    `INSERT INTO escalation_state (alarm_id, next_due_at) SELECT a, ${ts('$2')} FROM unnest($1::text[]) AS a
     ON CONFLICT (alarm_id) DO UPDATE SET next_due_at = LEAST(escalation_state.next_due_at, EXCLUDED.next_due_at), lease = NULL, updated_at = now()`,
    [[...alarmIds].sort(), now],
  );
}

/** One escalation timer. */
export interface EscalationTimer {
  alarmId: string;
  episodeSince: number | null;
  lastKey: string | null;
  lastStage: number;
  nextDueAt: number;
}

/**
 * Claim due timers for `leaseMs` under `lease` (a token unique to this claim): SKIP
 * LOCKED lets replicas claim different rows; the due time moves to the lease's end, so
 * a replica that dies mid-way leaves them to be claimed again then.
 */
export async function claimDueEscalationTimers(db: Queryable, q: { now: number; leaseMs: number; lease: string; limit: number }): Promise<EscalationTimer[]> {
  const r = await db.query<{ alarm_id: string; episode_ms: number | null; last_key: string | null; last_stage: number; due_ms: number }>(
    `UPDATE escalation_state s SET lease = $3, next_due_at = ${ts('$1')} + ($2::int * INTERVAL '1 millisecond'), updated_at = now()
      WHERE s.alarm_id IN (SELECT alarm_id FROM escalation_state WHERE next_due_at <= ${ts('$1')} ORDER BY next_due_at LIMIT $4 FOR UPDATE SKIP LOCKED)
      RETURNING s.alarm_id, ${ms('s.episode_since')} AS episode_ms, s.last_key, s.last_stage, ${ms('s.next_due_at')} AS due_ms`,
    [q.now, q.leaseMs, q.lease, q.limit],
  );
  return r.rows.map((x) => ({ alarmId: x.alarm_id, episodeSince: x.episode_ms, lastKey: x.last_key, lastStage: x.last_stage, nextDueAt: x.due_ms }));
}

/** Save a claimed timer; false when its lease is gone (an event touched it: it is due again, nothing is lost). */
export async function saveEscalationTimer(db: Queryable, t: EscalationTimer, lease: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE escalation_state SET episode_since = CASE WHEN $2::float8 IS NULL THEN NULL ELSE ${ts('$2')} END, last_key = $3, last_stage = $4,
            next_due_at = ${ts('$5')}, lease = NULL, updated_at = now() WHERE alarm_id = $1 AND lease = $6`,
    [t.alarmId, t.episodeSince, t.lastKey, t.lastStage, t.nextDueAt, lease],
  );
  return (r.rowCount ?? 0) > 0;
}

/** End a claimed timer (nothing awaits an acknowledgement); false when its lease is gone. */
export async function deleteEscalationTimer(db: Queryable, alarmId: string, lease: string): Promise<boolean> {
  const r = await db.query(`DELETE FROM escalation_state WHERE alarm_id = $1 AND lease = $2`, [alarmId, lease]);
  return (r.rowCount ?? 0) > 0;
}

/** What escalation needs about an enterprise: its region code (policy, tiers) and whether it sits in a chemical park. */
export interface EnterpriseJurisdiction {
  regionCode: string;
  inPark: boolean;
}

export async function enterpriseJurisdictions(db: Queryable, ids: readonly string[]): Promise<Map<string, EnterpriseJurisdiction>> {
  if (ids.length === 0) return new Map();
  const r = await db.query<{ id: string; region_code: string; park: string | null }>(
    `SELECT id, region_code, park FROM enterprises WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(r.rows.map((x) => [x.id, { regionCode: x.region_code, inPark: x.park !== null && x.park !== '' }]));
}

// ================================================================ enterprise offline

/** When an enterprise last sent anything: its newest reading (any point) or position (any vehicle). */
export interface EnterpriseLastData {
  enterpriseId: string;
  name: string;
  regionCode: string;
  /** Null: no data ever (or none kept). */
  lastDataAt: number | null;
}

/**
 * Newest data time of every enterprise: one backward probe of the (point, time) and
 * (vehicle, time) keys per point and vehicle, so the cost is the number of points,
 * not of rows.
 */
export async function lastDataPerEnterprise(db: Queryable): Promise<EnterpriseLastData[]> {
  const r = await db.query<{ id: string; name: string; region_code: string; last_ms: number | null }>(
    `WITH r AS (
       SELECT d.enterprise_id, max(l.time) AS t FROM measuring_points p JOIN devices d ON d.id = p.device_id
         CROSS JOIN LATERAL (SELECT time FROM readings x WHERE x.point_id = p.id ORDER BY time DESC LIMIT 1) l GROUP BY d.enterprise_id),
     v AS (
       SELECT ve.enterprise_id, max(l.time) AS t FROM vehicles ve
         CROSS JOIN LATERAL (SELECT time FROM positions x WHERE x.vehicle_id = ve.id ORDER BY time DESC LIMIT 1) l GROUP BY ve.enterprise_id)
     SELECT e.id, e.name, e.region_code, ${ms('greatest(r.t, v.t)')} AS last_ms
       FROM enterprises e LEFT JOIN r ON r.enterprise_id = e.id LEFT JOIN v ON v.enterprise_id = e.id ORDER BY e.id`,
  );
  return r.rows.map((x) => ({ enterpriseId: x.id, name: x.name, regionCode: x.region_code, lastDataAt: x.last_ms }));
}

/** Offline state of one enterprise. */
export interface EnterpriseOfflineState {
  enterpriseId: string;
  offline: boolean;
  episode: number;
  lastDataAt: number | null;
  offlineSince: number | null;
}

export async function enterpriseOfflineStates(db: Queryable): Promise<Map<string, EnterpriseOfflineState>> {
  const r = await db.query<{ enterprise_id: string; offline: boolean; episode: number; last_ms: number | null; since_ms: number | null }>(
    `SELECT enterprise_id, offline, episode, ${ms('last_data_at')} AS last_ms, ${ms('offline_since')} AS since_ms FROM enterprise_offline_state`,
  );
  return new Map(
    r.rows.map((x) => [
      x.enterprise_id,
      { enterpriseId: x.enterprise_id, offline: x.offline, episode: x.episode, lastDataAt: x.last_ms, offlineSince: x.since_ms },
    ]),
  );
}

export async function saveEnterpriseOfflineState(db: Queryable, s: EnterpriseOfflineState): Promise<void> {
  await db.query(
    `INSERT INTO enterprise_offline_state (enterprise_id, offline, episode, last_data_at, offline_since)
     VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE ${ts('$4')} END, CASE WHEN $5::float8 IS NULL THEN NULL ELSE ${ts('$5')} END)
     ON CONFLICT (enterprise_id) DO UPDATE SET offline = EXCLUDED.offline, episode = EXCLUDED.episode, last_data_at = EXCLUDED.last_data_at,
       offline_since = EXCLUDED.offline_since, changed_at = now()`,
    [s.enterpriseId, s.offline, s.episode, s.lastDataAt, s.offlineSince],
  );
}

/**
 * Try to take a transaction-scoped advisory lock (released at COMMIT/ROLLBACK): one
 * replica at a time runs a periodic job such as the offline check.
 */
export async function tryTransactionLock(client: PoolClient, key: number): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [key]);
  return r.rows[0]?.ok === true;
}
