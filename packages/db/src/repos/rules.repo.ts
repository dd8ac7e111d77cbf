/**
 * The rule store: rules are data, every change is a new immutable version in `rule_versions`
 * (who, when, note), and `rules` points at the live one. Each change sends
 * `NOTIFY hw_rules_changed, '<rule id>'` in its transaction (delivered at commit), so running
 * rules workers pick it up without a restart; they also compare versions
 * ({@link listRuleHeads}) to catch a notification they missed.
 *
 * A rule is evaluated where its inputs arrive: readings are partitioned by hazard source and
 * positions by vehicle. So a non-vehicle rule must name its hazard source and every point it
 * reads must belong to it; a vehicle rule watches one vehicle (`vehicle:<id>`) or every vehicle
 * of its enterprise (`fleet:<enterpriseId>`, evaluated in every partition on the vehicles that
 * land there). The partition key of a rule never changes across versions.
 */
import { expressionPointIds, type JobPosition, type JobReading, type RuleDocument, RuleDocumentSchema, tailingsDamPointIds } from '@hazardwatch/contracts';
import { DbError } from '../errors.js';
import { type ChannelSubscription, subscribeChannel } from '../notifications.js';
import { type Pool, type PoolClient, withTransaction } from '../pool.js';
import { QUALITY_OF_CODE } from './timeseries.repo.js';

type Queryable = Pool | PoolClient;

/** The PostgreSQL channel a rule change is notified on; the payload is the rule id. */
export const RULES_CHANGED_CHANNEL = 'hw_rules_changed';

export const RuleStoreErrorCode = {
  NotFound: 'HW_DB_RULE_NOT_FOUND',
  /** A rule with this id exists already (create), or the version exists (a concurrent change). */
  Exists: 'HW_DB_RULE_EXISTS',
  /** The document is invalid or does not fit the registry; `reasons` say why, one line each. */
  Invalid: 'HW_DB_RULE_INVALID',
  /** The caller changed version N but the rule is at another version now (optimistic concurrency). */
  VersionConflict: 'HW_DB_RULE_VERSION_CONFLICT',
  /** A new version may not move the rule to another enterprise, hazard source or vehicle selector. */
  PartitionChanged: 'HW_DB_RULE_PARTITION_CHANGED',
} as const;
export type RuleStoreErrorCode = (typeof RuleStoreErrorCode)[keyof typeof RuleStoreErrorCode];

/** Error of the rule store; `reasons` lists readable `path: message` lines for a 4xx. */
export class RuleStoreError extends DbError {
  constructor(
    code: RuleStoreErrorCode,
    message: string,
    readonly reasons: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Who changes a rule, and why. `at` (epoch ms) defaults to the database's clock. */
export type RuleChangeMeta = { by: string; note?: string | null | undefined; at?: number | undefined };

/** One version of a rule with its audit facts. */
export type RuleVersionRecord = {
  ruleId: string;
  version: number;
  rule: RuleDocument;
  changedBy: string;
  changedAt: number;
  changeNote: string | null;
};

/** A rule's live version with its registry facts. */
export type StoredRule = RuleVersionRecord & {
  partitionKey: string;
  createdAt: number;
  updatedAt: number;
};

// ---------------------------------------------------------------- pure helpers

/** Every measuring point a rule reads, in first-use order. */
export function rulePointIds(rule: RuleDocument): number[] {
  switch (rule.kind) {
    case 'threshold':
    case 'rate_of_change':
      return [rule.pointId];
    case 'interruption':
    case 'stuck':
    case 'device_fault':
    case 'tailings':
      return [...rule.pointIds];
    case 'out_of_range':
      return rule.points.map((p) => p.pointId);
    case 'interlock':
      return [...new Set([...rule.triggers.map((t) => t.pointId), rule.action.pointId, ...(rule.bypass ? [rule.bypass.pointId] : [])])];
    case 'composite':
      return expressionPointIds(rule.expression);
    case 'tailings_dam':
      return tailingsDamPointIds(rule);
    case 'vehicle':
      return [];
  }
}

/**
 * Where a rule is evaluated: `source:<hazardSourceId>` (the key ingest partitions readings by),
 * `vehicle:<vehicleId>`, or `fleet:<enterpriseId>` for a vehicle rule over every vehicle of its
 * enterprise (every partition evaluates it on its own vehicles). Null: a non-vehicle rule
 * without a hazard source, which cannot be placed.
 */
export function rulePartitionKey(rule: RuleDocument): string | null {
  if (rule.kind === 'vehicle') return rule.vehicleId !== null ? `vehicle:${rule.vehicleId}` : `fleet:${rule.enterpriseId}`;
  return rule.hazardSourceId !== null ? `source:${rule.hazardSourceId}` : null;
}

/** True for a partition key evaluated in every partition (a fleet rule). */
export function isFleetPartitionKey(key: string): boolean {
  return key.startsWith('fleet:');
}

/** One difference between two rule documents; `path` is dotted (`levels.1.setpoint`). */
export type RuleChange = { path: string; op: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The differences between two rule documents, leaf by leaf (arrays by index), for a version diff view. */
export function diffRuleDocuments(before: unknown, after: unknown, path = ''): RuleChange[] {
  const at = (k: string | number) => (path === '' ? String(k) : `${path}.${k}`);
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: RuleChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= after.length) out.push({ path: at(i), op: 'removed', before: before[i] });
      else if (i >= before.length) out.push({ path: at(i), op: 'added', after: after[i] });
      else out.push(...diffRuleDocuments(before[i], after[i], at(i)));
    }
    return out;
  }
  if (isRecord(before) && isRecord(after)) {
    const out: RuleChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      if (!(k in after)) out.push({ path: at(k), op: 'removed', before: before[k] });
      else if (!(k in before)) out.push({ path: at(k), op: 'added', after: after[k] });
      else out.push(...diffRuleDocuments(before[k], after[k], at(k)));
    }
    return out;
  }
  return Object.is(before, after) ? [] : [{ path: path === '' ? '(document)' : path, op: 'changed', before, after }];
}

// ---------------------------------------------------------------- rows

const ms = (col: string): string => `(extract(epoch FROM ${col}) * 1000)::float8`;

const STORED_COLUMNS = `r.id, r.partition_key, v.version, v.document, v.changed_by, ${ms('v.changed_at')} AS changed_at, v.change_note,
  ${ms('r.created_at')} AS created_at, ${ms('r.updated_at')} AS updated_at`;

type StoredRow = {
  id: string;
  partition_key: string;
  version: number;
  document: unknown;
  changed_by: string;
  changed_at: number;
  change_note: string | null;
  created_at: number;
  updated_at: number;
};
type VersionRow = { rule_id: string; version: number; document: unknown; changed_by: string; changed_at: number; change_note: string | null };

function parseDocument(id: string, version: number, doc: unknown): RuleDocument {
  const r = RuleDocumentSchema.safeParse(doc);
  if (!r.success)
    throw new RuleStoreError(
      RuleStoreErrorCode.Invalid,
      `stored document of rule ${id} version ${version} no longer validates`,
      r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  return r.data;
}

function toVersion(r: VersionRow): RuleVersionRecord {
  return {
    ruleId: r.rule_id,
    version: r.version,
    rule: parseDocument(r.rule_id, r.version, r.document),
    changedBy: r.changed_by,
    changedAt: Math.round(r.changed_at),
    changeNote: r.change_note,
  };
}

function toStored(r: StoredRow): StoredRule {
  return {
    ...toVersion({ rule_id: r.id, version: r.version, document: r.document, changed_by: r.changed_by, changed_at: r.changed_at, change_note: r.change_note }),
    partitionKey: r.partition_key,
    createdAt: Math.round(r.created_at),
    updatedAt: Math.round(r.updated_at),
  };
}

// ---------------------------------------------------------------- validation against the registry

function parseInput(doc: unknown): RuleDocument {
  const r = RuleDocumentSchema.safeParse(doc);
  if (!r.success)
    throw new RuleStoreError(
      RuleStoreErrorCode.Invalid,
      'invalid rule document',
      r.error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)),
    );
  return r.data;
}

/** The rule's enterprise, hazard source, vehicle and points must exist and belong together. */
async function checkAgainstRegistry(c: PoolClient, rule: RuleDocument): Promise<string> {
  const reasons: string[] = [];
  const key = rulePartitionKey(rule);
  if (key === null) reasons.push('hazardSourceId: a rule that reads measuring points must name its hazard source (rules are evaluated per hazard source)');
  const ent = await c.query('SELECT 1 FROM enterprises WHERE id = $1', [rule.enterpriseId]);
  if (ent.rowCount === 0) reasons.push(`enterpriseId: enterprise ${rule.enterpriseId} is not registered`);
  if (rule.hazardSourceId !== null) {
    const hs = await c.query<{ enterprise_id: string }>('SELECT enterprise_id FROM hazard_sources WHERE id = $1', [rule.hazardSourceId]);
    const owner = hs.rows[0]?.enterprise_id;
    if (owner === undefined) reasons.push(`hazardSourceId: hazard source ${rule.hazardSourceId} is not registered`);
    else if (owner !== rule.enterpriseId) reasons.push(`hazardSourceId: hazard source ${rule.hazardSourceId} belongs to another enterprise`);
  }
  if (rule.vehicleId !== null) {
    const v = await c.query<{ enterprise_id: string }>('SELECT enterprise_id FROM vehicles WHERE id = $1', [rule.vehicleId]);
    const owner = v.rows[0]?.enterprise_id;
    if (owner === undefined) reasons.push(`vehicleId: vehicle ${rule.vehicleId} is not registered`);
    else if (owner !== rule.enterpriseId) reasons.push(`vehicleId: vehicle ${rule.vehicleId} belongs to another enterprise`);
  }
  const pointIds = rulePointIds(rule);
  if (pointIds.length > 0) {
    const r = await c.query<{ id: number; hazard_source_id: string; enterprise_id: string }>(
      `SELECT p.id, p.hazard_source_id, d.enterprise_id FROM measuring_points p JOIN devices d ON d.id = p.device_id WHERE p.id = ANY($1::int4[])`,
      [pointIds],
    );
    const found = new Map(r.rows.map((row) => [row.id, row]));
    for (const id of pointIds) {
      const p = found.get(id);
      if (!p) reasons.push(`point ${id} is not registered`);
      else if (p.enterprise_id !== rule.enterpriseId) reasons.push(`point ${id} belongs to another enterprise`);
      else if (rule.hazardSourceId !== null && p.hazard_source_id !== rule.hazardSourceId)
        reasons.push(
          `point ${id} belongs to hazard source ${p.hazard_source_id}, not ${rule.hazardSourceId}: a rule is evaluated where its hazard source's readings arrive`,
        );
    }
  }
  if (reasons.length > 0 || key === null) throw new RuleStoreError(RuleStoreErrorCode.Invalid, 'rule does not fit the registry', reasons);
  return key;
}

function refusal(err: unknown, ruleId: string): never {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === '23505') throw new RuleStoreError(RuleStoreErrorCode.Exists, `rule ${ruleId} (or this version of it) exists already`, [], { cause: err });
  throw err;
}

async function insertVersion(c: PoolClient, rule: RuleDocument, meta: RuleChangeMeta): Promise<void> {
  await c.query(
    `INSERT INTO rule_versions (rule_id, version, document, changed_by, changed_at, change_note)
     VALUES ($1, $2, $3, $4, coalesce(to_timestamp($5::float8 / 1000), now()), $6)`,
    [rule.id, rule.version, JSON.stringify(rule), meta.by, meta.at ?? null, meta.note ?? null],
  );
  await c.query('SELECT pg_notify($1, $2)', [RULES_CHANGED_CHANNEL, rule.id]);
}

async function readCurrent(db: Queryable, ruleId: string, lock = false): Promise<StoredRule | null> {
  const r = await db.query<StoredRow>(
    `SELECT ${STORED_COLUMNS} FROM rules r JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.current_version WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`,
    [ruleId],
  );
  const row = r.rows[0];
  return row ? toStored(row) : null;
}

// ---------------------------------------------------------------- changes

/**
 * Creates a rule at version 1 (whatever `version` the document says). Validates the document
 * (`RuleDocumentSchema`) and its fit with the registry; throws {@link RuleStoreError}
 * `HW_DB_RULE_INVALID` (with reasons) or `HW_DB_RULE_EXISTS`.
 */
export async function createRule(pool: Pool, document: unknown, meta: RuleChangeMeta): Promise<StoredRule> {
  const parsed = parseInput(isRecord(document) ? { ...document, version: 1 } : document);
  try {
    return await withTransaction(pool, async (c) => {
      const key = await checkAgainstRegistry(c, parsed);
      await c.query(
        `INSERT INTO rules (id, enterprise_id, hazard_source_id, vehicle_id, kind, name, enabled, current_version, partition_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, coalesce(to_timestamp($9::float8 / 1000), now()), coalesce(to_timestamp($9::float8 / 1000), now()))`,
        [parsed.id, parsed.enterpriseId, parsed.hazardSourceId, parsed.vehicleId, parsed.kind, parsed.name, parsed.enabled, key, meta.at ?? null],
      );
      await insertVersion(c, parsed, meta);
      const stored = await readCurrent(c, parsed.id);
      if (!stored) throw new RuleStoreError(RuleStoreErrorCode.NotFound, `rule ${parsed.id} vanished in its own transaction`);
      return stored;
    });
  } catch (err) {
    refusal(err, parsed.id);
  }
}

/**
 * Stores a new version (current + 1) of a rule and makes it live. `expectedVersion`, when
 * given, must be the current version (the one the editor started from) or the change is
 * refused with `HW_DB_RULE_VERSION_CONFLICT`. The document's id must be the rule's; its
 * enterprise and partition (hazard source / vehicle selector) must not change.
 */
export async function createRuleVersion(
  pool: Pool,
  ruleId: string,
  document: unknown,
  meta: RuleChangeMeta & { expectedVersion?: number | undefined },
): Promise<StoredRule> {
  try {
    return await withTransaction(pool, async (c) => {
      const current = await readCurrent(c, ruleId, true);
      if (!current) throw new RuleStoreError(RuleStoreErrorCode.NotFound, `rule ${ruleId} not found`);
      if (meta.expectedVersion !== undefined && meta.expectedVersion !== current.version)
        throw new RuleStoreError(
          RuleStoreErrorCode.VersionConflict,
          `rule ${ruleId} is at version ${current.version}, not ${meta.expectedVersion}: reload it and apply the change again`,
        );
      const parsed = parseInput(isRecord(document) ? { ...document, version: current.version + 1 } : document);
      if (parsed.id !== ruleId) throw new RuleStoreError(RuleStoreErrorCode.Invalid, 'the document names another rule', [`id: must be ${ruleId}`]);
      if (parsed.enterpriseId !== current.rule.enterpriseId || rulePartitionKey(parsed) !== current.partitionKey)
        throw new RuleStoreError(
          RuleStoreErrorCode.PartitionChanged,
          `a new version of rule ${ruleId} must keep its enterprise, hazard source and vehicle selector; create a new rule instead`,
        );
      await checkAgainstRegistry(c, parsed);
      await insertVersion(c, parsed, meta);
      await c.query(
        `UPDATE rules SET current_version = $2, kind = $3, name = $4, enabled = $5, updated_at = coalesce(to_timestamp($6::float8 / 1000), now()) WHERE id = $1`,
        [ruleId, parsed.version, parsed.kind, parsed.name, parsed.enabled, meta.at ?? null],
      );
      const stored = await readCurrent(c, ruleId);
      if (!stored) throw new RuleStoreError(RuleStoreErrorCode.NotFound, `rule ${ruleId} vanished in its own transaction`);
      return stored;
    });
  } catch (err) {
    refusal(err, ruleId);
  }
}

/**
 * Enables or disables a rule. A change of `enabled` is a new version (so who switched a rule
 * off, and why, is on record); asking for the state it already has changes nothing.
 */
export async function setRuleEnabled(
  pool: Pool,
  ruleId: string,
  enabled: boolean,
  meta: RuleChangeMeta & { expectedVersion?: number | undefined },
): Promise<StoredRule> {
  const current = await getCurrentRule(pool, ruleId);
  if (!current) throw new RuleStoreError(RuleStoreErrorCode.NotFound, `rule ${ruleId} not found`);
  if (current.rule.enabled === enabled) return current;
  return createRuleVersion(pool, ruleId, { ...current.rule, enabled }, { ...meta, expectedVersion: meta.expectedVersion ?? current.version });
}

// ---------------------------------------------------------------- queries

/** The live version of a rule, or null. */
export async function getCurrentRule(db: Queryable, ruleId: string): Promise<StoredRule | null> {
  return readCurrent(db, ruleId);
}

/** One version of a rule, or null. */
export async function getRuleVersion(db: Queryable, ruleId: string, version: number): Promise<RuleVersionRecord | null> {
  const r = await db.query<VersionRow>(
    `SELECT rule_id, version, document, changed_by, ${ms('changed_at')} AS changed_at, change_note FROM rule_versions WHERE rule_id = $1 AND version = $2`,
    [ruleId, version],
  );
  const row = r.rows[0];
  return row ? toVersion(row) : null;
}

/** Every version of a rule, newest first. */
export async function listRuleVersions(db: Queryable, ruleId: string): Promise<RuleVersionRecord[]> {
  const r = await db.query<VersionRow>(
    `SELECT rule_id, version, document, changed_by, ${ms('changed_at')} AS changed_at, change_note FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC`,
    [ruleId],
  );
  return r.rows.map(toVersion);
}

/** Two versions of a rule and what changed between them (null when either is missing). */
export async function diffRuleVersions(
  db: Queryable,
  ruleId: string,
  fromVersion: number,
  toVersion: number,
): Promise<{ from: RuleVersionRecord; to: RuleVersionRecord; changes: RuleChange[] } | null> {
  const [from, to] = await Promise.all([getRuleVersion(db, ruleId, fromVersion), getRuleVersion(db, ruleId, toVersion)]);
  if (!from || !to) return null;
  return { from, to, changes: diffRuleDocuments(from.rule, to.rule) };
}

/** Filters of {@link listRules}; every given filter must hold. */
export type RuleFilter = {
  ids?: readonly string[] | undefined;
  enterpriseIds?: readonly string[] | undefined;
  regionPrefix?: string | undefined;
  hazardSourceId?: string | undefined;
  vehicleId?: string | undefined;
  kinds?: readonly string[] | undefined;
  enabled?: boolean | undefined;
  partitionKeys?: readonly string[] | undefined;
};

/** Live versions of rules by id order, a page at a time (`nextCursor` is the last id). */
export async function listRules(
  db: Queryable,
  filter: RuleFilter,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: StoredRule[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 10_000);
  if (filter.regionPrefix !== undefined && !/^(\d{2}|\d{4}|\d{6})$/.test(filter.regionPrefix)) throw new TypeError('region prefix must be 2, 4 or 6 digits');
  const r = await db.query<StoredRow>(
    `SELECT ${STORED_COLUMNS} FROM rules r JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
      WHERE ($1::text[] IS NULL OR r.id = ANY($1))
        AND ($2::text[] IS NULL OR r.enterprise_id = ANY($2))
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM enterprises e WHERE e.id = r.enterprise_id AND e.region_code LIKE $3 || '%'))
        AND ($4::text IS NULL OR r.hazard_source_id = $4)
        AND ($5::text IS NULL OR r.vehicle_id = $5)
        AND ($6::text[] IS NULL OR r.kind = ANY($6))
        AND ($7::boolean IS NULL OR r.enabled = $7)
        AND ($8::text[] IS NULL OR r.partition_key = ANY($8))
        AND ($9::text IS NULL OR r.id > $9)
      ORDER BY r.id LIMIT $10`,
    [
      filter.ids ? [...filter.ids] : null,
      filter.enterpriseIds ? [...filter.enterpriseIds] : null,
      filter.regionPrefix ?? null,
      filter.hazardSourceId ?? null,
      filter.vehicleId ?? null,
      filter.kinds ? [...filter.kinds] : null,
      filter.enabled ?? null,
      filter.partitionKeys ? [...filter.partitionKeys] : null,
      page.cursor ?? null,
      limit + 1,
    ],
  );
  const items = r.rows.slice(0, limit).map(toStored);
  return { items, nextCursor: r.rows.length > limit ? (items.at(-1)?.rule.id ?? null) : null };
}

/**
 * Every live rule with the given partition keys (or all when none given), for the worker's
 * cache. A stored document that no longer validates is reported in `invalid`, not thrown, so
 * one bad row never stops the evaluation of the others.
 */
export async function listCurrentRules(
  db: Queryable,
  q: { partitionKeys?: readonly string[] | undefined; ids?: readonly string[] | undefined } = {},
): Promise<{ rules: StoredRule[]; invalid: Array<{ ruleId: string; version: number; reasons: readonly string[] }> }> {
  const r = await db.query<StoredRow>(
    `SELECT ${STORED_COLUMNS} FROM rules r JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
      WHERE ($1::text[] IS NULL OR r.partition_key = ANY($1)) AND ($2::text[] IS NULL OR r.id = ANY($2)) ORDER BY r.id`,
    [q.partitionKeys ? [...q.partitionKeys] : null, q.ids ? [...q.ids] : null],
  );
  const rules: StoredRule[] = [];
  const invalid: Array<{ ruleId: string; version: number; reasons: readonly string[] }> = [];
  for (const row of r.rows) {
    try {
      rules.push(toStored(row));
    } catch (err) {
      if (!(err instanceof RuleStoreError)) throw err;
      invalid.push({ ruleId: row.id, version: row.version, reasons: err.reasons });
    }
  }
  return { rules, invalid };
}

/** Id, live version and partition key of every rule: what a worker compares its cache with. */
export async function listRuleHeads(db: Queryable): Promise<Array<{ id: string; version: number; partitionKey: string }>> {
  const r = await db.query<{ id: string; current_version: number; partition_key: string }>('SELECT id, current_version, partition_key FROM rules');
  return r.rows.map((x) => ({ id: x.id, version: x.current_version, partitionKey: x.partition_key }));
}

/** Vehicle id → enterprise id of every registered vehicle (fleet rules select their enterprise's vehicles). */
export async function listVehicleEnterprises(db: Queryable): Promise<Map<string, string>> {
  const r = await db.query<{ id: string; enterprise_id: string }>('SELECT id, enterprise_id FROM vehicles');
  return new Map(r.rows.map((x) => [x.id, x.enterprise_id]));
}

/**
 * Stored inputs of a rule in [from, to] (epoch ms), time order: readings of `pointIds`,
 * positions of `vehicleIds` or of every vehicle of `fleetEnterpriseId`. At most `maxRows` of
 * each; `truncated` says the range held more (a backtest must then be cut shorter).
 */
export async function listRuleInputs(
  db: Queryable,
  q: {
    pointIds: readonly number[];
    vehicleIds?: readonly string[] | undefined;
    fleetEnterpriseId?: string | undefined;
    from: number;
    to: number;
    maxRows?: number | undefined;
  },
): Promise<{ readings: JobReading[]; positions: JobPosition[]; truncated: boolean }> {
  const maxRows = q.maxRows ?? 2_000_000;
  let truncated = false;
  let readings: JobReading[] = [];
  if (q.pointIds.length > 0) {
    const r = await db.query<{ point_id: number; ts: number; value: number; quality: number }>(
      `SELECT point_id, ${ms('time')} AS ts, value, quality FROM readings
        WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2::float8 / 1000) AND time <= to_timestamp($3::float8 / 1000)
        ORDER BY time, point_id LIMIT $4`,
      [[...q.pointIds], q.from, q.to, maxRows + 1],
    );
    truncated ||= r.rows.length > maxRows;
    readings = r.rows
      .slice(0, maxRows)
      .map((x) => ({ pointId: x.point_id, ts: Math.round(x.ts), value: x.value, quality: QUALITY_OF_CODE[x.quality] ?? 'fault' }));
  }
  let positions: JobPosition[] = [];
  const vehicles = q.vehicleIds ? [...q.vehicleIds] : null;
  if ((vehicles && vehicles.length > 0) || q.fleetEnterpriseId !== undefined) {
    const r = await db.query<{
      vehicle_id: string;
      ts: number;
      lat: number;
      lon: number;
      speed_kmh: number;
      heading: number;
      altitude_m: number | null;
      acc_on: boolean | null;
      alarm_flags: number | null;
    }>(
      `SELECT p.vehicle_id, ${ms('p.time')} AS ts, p.lat, p.lon, p.speed_kmh, p.heading, p.altitude_m, p.acc_on, p.alarm_flags FROM positions p
        WHERE ($1::text[] IS NULL OR p.vehicle_id = ANY($1))
          AND ($2::text IS NULL OR p.vehicle_id IN (SELECT id FROM vehicles WHERE enterprise_id = $2))
          AND p.time >= to_timestamp($3::float8 / 1000) AND p.time <= to_timestamp($4::float8 / 1000)
        ORDER BY p.time, p.vehicle_id LIMIT $5`,
      [vehicles, q.fleetEnterpriseId ?? null, q.from, q.to, maxRows + 1],
    );
    truncated ||= r.rows.length > maxRows;
    positions = r.rows.slice(0, maxRows).map((x) => ({
      vehicleId: x.vehicle_id,
      ts: Math.round(x.ts),
      lat: x.lat,
      lon: x.lon,
      speedKmh: x.speed_kmh,
      heading: x.heading,
      altitudeM: x.altitude_m,
      accOn: x.acc_on,
      alarmFlags: x.alarm_flags === null ? null : Number(x.alarm_flags),
    }));
  }
  return { readings, positions, truncated };
}

// ---------------------------------------------------------------- change notifications

/** A live subscription to rule changes; `close()` stops listening and gives the connection back. */
export type RuleChangeSubscription = ChannelSubscription;

/**
 * Listens for rule changes (`LISTEN hw_rules_changed`, notifications.ts): `onListening` runs
 * after every (re)connect, once LISTEN is in place, so the caller reloads what it may have
 * missed while deaf. `onChange` gets the rule id of each change.
 */
export function subscribeRuleChanges(
  pool: Pool,
  handlers: { onChange(ruleId: string): void; onListening(): void; onError(err: unknown): void },
  opts: { minRetryMs?: number; maxRetryMs?: number } = {},
): RuleChangeSubscription {
  return subscribeChannel(
    pool,
    RULES_CHANGED_CHANNEL,
    {
      onNotification: (ruleId) => {
        if (ruleId) handlers.onChange(ruleId);
      },
      onListening: handlers.onListening,
      onError: handlers.onError,
    },
    opts,
  );
}
