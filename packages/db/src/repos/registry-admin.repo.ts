import {
  type Device,
  DeviceSchema,
  type Enterprise,
  EnterpriseSchema,
  type Geofence,
  GeofenceSchema,
  type HazardSource,
  HazardSourceSchema,
  type MeasuringPoint,
  MeasuringPointSchema,
  type Quality,
  type Vehicle,
  VehicleSchema,
} from '@hazardwatch/contracts';
import { DbError, DbErrorCode } from '../errors.js';
import type { Pool, PoolClient } from '../pool.js';
import { QUALITY_OF_CODE } from './timeseries.repo.js';

type Queryable = Pool | PoolClient;

// ---------------------------------------------------------------- scope

/**
 * Which enterprises a caller may see. Every query in this file (and in risk.repo.ts)
 * takes one and filters on it in SQL, so a row outside the scope is never read:
 * - `all`: every enterprise (admin);
 * - `enterprise`: one enterprise (its manager, operators, integrators);
 * - `region`: every enterprise whose GB/T 2260 region code starts with the prefix
 *   (a regulator: 37 a province, 3703 a city, 370321 a county).
 */
export type DataScope = { kind: 'all' } | { kind: 'enterprise'; enterpriseId: string } | { kind: 'region'; regionPrefix: string };

/**
 * The two scope parameters, always `$1` (enterprise id) and `$2` (region prefix) of a
 * scoped query; null means "no restriction". Refuses a malformed scope rather than
 * widening it: an enterprise scope without an id must never become `all`.
 */
export function scopeArgs(scope: DataScope): [string | null, string | null] {
  switch (scope.kind) {
    case 'all':
      return [null, null];
    case 'enterprise':
      if (typeof scope.enterpriseId !== 'string' || scope.enterpriseId.length === 0) throw new TypeError('enterprise scope without an enterprise id');
      return [scope.enterpriseId, null];
    case 'region':
      // Digits only: the prefix goes into LIKE, where % and _ would widen it.
      if (!/^(\d{2}|\d{4}|\d{6})$/.test(scope.regionPrefix)) throw new TypeError('region scope needs a 2, 4 or 6 digit prefix');
      return [null, scope.regionPrefix];
  }
}

/** The scope condition on an `enterprises` row aliased `alias` (a constant of the calling query). */
export function inScope(alias: string): string {
  return `($1::text IS NULL OR ${alias}.id = $1) AND ($2::text IS NULL OR ${alias}.region_code LIKE $2 || '%')`;
}

/** Turn the database's refusals the API can explain into DbError codes; rethrow anything else. */
function refusal(err: unknown, what: string): never {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === '23505') throw new DbError(DbErrorCode.Conflict, `${what} already exists`, { cause: err });
  if (code === '23503') throw new DbError(DbErrorCode.Conflict, `${what} is still referenced (alarm history or other records)`, { cause: err });
  throw err;
}

/** Common paging and filter arguments of the registry lists (keyset on the id). */
export interface ListQuery {
  enterpriseId?: string | undefined;
  regionPrefix?: string | undefined;
  /** Return rows with an id greater than this (the decoded cursor). */
  after?: string | undefined;
  limit: number;
}

// ---------------------------------------------------------------- rows owned by an enterprise

/**
 * A registry table whose rows belong to one enterprise (`enterprise_id`). Reading and
 * deleting them is scoped through that enterprise the same way for every such table, so
 * it is written once below; inserts and updates differ by column and stay per table.
 */
interface OwnedTable<T> {
  /** A constant of this file, never input; the queries alias it `t`. */
  table: 'hazard_sources' | 'devices' | 'vehicles' | 'geofences';
  /** The selected columns, qualified with `t.`. */
  columns: string;
  /** The noun in conflict messages: `device`, `hazard source`. */
  noun: string;
  of(row: Record<string, unknown>): T;
}

/** A page of the table's rows in scope, by id, filtered by enterprise and region. */
async function listOwned<T>(db: Queryable, scope: DataScope, t: OwnedTable<T>, q: ListQuery): Promise<T[]> {
  const r = await db.query(
    `SELECT ${t.columns} FROM ${t.table} t JOIN enterprises e ON e.id = t.enterprise_id
      WHERE ${inScope('e')} AND ($3::text IS NULL OR e.id = $3) AND ($4::text IS NULL OR e.region_code LIKE $4 || '%')
        AND ($5::text IS NULL OR t.id > $5)
      ORDER BY t.id LIMIT $6`,
    [...scopeArgs(scope), q.enterpriseId ?? null, q.regionPrefix ?? null, q.after ?? null, q.limit],
  );
  return r.rows.map(t.of);
}

async function getOwned<T>(db: Queryable, scope: DataScope, t: OwnedTable<T>, id: string): Promise<T | null> {
  const r = await db.query(`SELECT ${t.columns} FROM ${t.table} t JOIN enterprises e ON e.id = t.enterprise_id WHERE ${inScope('e')} AND t.id = $3`, [
    ...scopeArgs(scope),
    id,
  ]);
  return r.rows[0] ? t.of(r.rows[0]) : null;
}

/** Delete a row in scope (with what cascades from it); false when not in scope; refused while alarm history references it. */
async function deleteOwned<T>(db: Queryable, scope: DataScope, t: OwnedTable<T>, id: string): Promise<boolean> {
  try {
    const r = await db.query(`DELETE FROM ${t.table} t USING enterprises e WHERE e.id = t.enterprise_id AND ${inScope('e')} AND t.id = $3`, [
      ...scopeArgs(scope),
      id,
    ]);
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `${t.noun} ${id}`);
  }
}

// ---------------------------------------------------------------- enterprises

const ENTERPRISE_COLUMNS = 'e.id, e.name, e.region_code, e.park, e.contact';

function enterpriseOf(row: Record<string, unknown>): Enterprise {
  return EnterpriseSchema.parse({ id: row.id, name: row.name, regionCode: row.region_code, park: row.park, contact: row.contact });
}

export async function listEnterprises(db: Queryable, scope: DataScope, q: ListQuery): Promise<Enterprise[]> {
  const r = await db.query(
    `SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e
      WHERE ${inScope('e')} AND ($3::text IS NULL OR e.id = $3) AND ($4::text IS NULL OR e.region_code LIKE $4 || '%')
        AND ($5::text IS NULL OR e.id > $5)
      ORDER BY e.id LIMIT $6`,
    [...scopeArgs(scope), q.enterpriseId ?? null, q.regionPrefix ?? null, q.after ?? null, q.limit],
  );
  return r.rows.map(enterpriseOf);
}

export async function getEnterprise(db: Queryable, scope: DataScope, id: string): Promise<Enterprise | null> {
  const r = await db.query(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e WHERE ${inScope('e')} AND e.id = $3`, [...scopeArgs(scope), id]);
  return r.rows[0] ? enterpriseOf(r.rows[0]) : null;
}

/** Insert a new enterprise; an existing id is a conflict (never an update). */
export async function insertEnterprise(db: Queryable, e: Enterprise): Promise<void> {
  try {
    await db.query(`INSERT INTO enterprises (id, name, region_code, park, contact) VALUES ($1, $2, $3, $4, $5)`, [
      e.id,
      e.name,
      e.regionCode,
      e.park ?? null,
      e.contact ? JSON.stringify(e.contact) : null,
    ]);
  } catch (err) {
    refusal(err, `enterprise ${e.id}`);
  }
}

/** Replace an enterprise's fields; false when it is not in scope (or does not exist). */
export async function updateEnterprise(db: Queryable, scope: DataScope, e: Enterprise): Promise<boolean> {
  const r = await db.query(
    `UPDATE enterprises t SET name = $4, region_code = $5, park = $6, contact = $7, updated_at = now()
       FROM enterprises e WHERE e.id = t.id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), e.id, e.name, e.regionCode, e.park ?? null, e.contact ? JSON.stringify(e.contact) : null],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Delete an enterprise and everything registered under it; refused while alarm history exists. */
export async function deleteEnterprise(db: Queryable, scope: DataScope, id: string): Promise<boolean> {
  try {
    const r = await db.query(`DELETE FROM enterprises t USING enterprises e WHERE e.id = t.id AND ${inScope('e')} AND t.id = $3`, [...scopeArgs(scope), id]);
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `enterprise ${id}`);
  }
}

// ---------------------------------------------------------------- hazard sources

function hazardSourceOf(row: Record<string, unknown>): HazardSource {
  return HazardSourceSchema.parse({
    id: row.id,
    enterpriseId: row.enterprise_id,
    name: row.name,
    kind: row.kind,
    chemicals: row.chemicals,
    peopleWithin500m: row.people_within_500m,
    dam: row.dam,
  });
}

const HAZARD_SOURCES: OwnedTable<HazardSource> = {
  table: 'hazard_sources',
  columns: 't.id, t.enterprise_id, t.name, t.kind, t.chemicals, t.people_within_500m, t.dam',
  noun: 'hazard source',
  of: hazardSourceOf,
};

export async function listHazardSources(db: Queryable, scope: DataScope, q: ListQuery & { kind?: string | undefined }): Promise<HazardSource[]> {
  const r = await db.query(
    `SELECT ${HAZARD_SOURCES.columns} FROM hazard_sources t JOIN enterprises e ON e.id = t.enterprise_id
      WHERE ${inScope('e')} AND ($3::text IS NULL OR e.id = $3) AND ($4::text IS NULL OR e.region_code LIKE $4 || '%')
        AND ($5::text IS NULL OR t.id > $5) AND ($6::text IS NULL OR t.kind = $6)
      ORDER BY t.id LIMIT $7`,
    [...scopeArgs(scope), q.enterpriseId ?? null, q.regionPrefix ?? null, q.after ?? null, q.kind ?? null, q.limit],
  );
  return r.rows.map(hazardSourceOf);
}

export async function getHazardSource(db: Queryable, scope: DataScope, id: string): Promise<HazardSource | null> {
  return getOwned(db, scope, HAZARD_SOURCES, id);
}

/** Insert a hazard source under an enterprise in scope; null when that enterprise is not in scope. */
export async function insertHazardSource(db: Queryable, scope: DataScope, s: HazardSource): Promise<boolean> {
  try {
    const r = await db.query(
      `INSERT INTO hazard_sources (id, enterprise_id, name, kind, chemicals, people_within_500m, dam)
       SELECT $3, e.id, $5, $6, $7, $8, $9 FROM enterprises e WHERE ${inScope('e')} AND e.id = $4`,
      [...scopeArgs(scope), s.id, s.enterpriseId, s.name, s.kind, JSON.stringify(s.chemicals), s.peopleWithin500m, s.dam ? JSON.stringify(s.dam) : null],
    );
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `hazard source ${s.id}`);
  }
}

/** Replace a hazard source's fields (its enterprise stays); false when not in scope. */
export async function updateHazardSource(db: Queryable, scope: DataScope, s: HazardSource): Promise<boolean> {
  const r = await db.query(
    `UPDATE hazard_sources t SET name = $4, kind = $5, chemicals = $6, people_within_500m = $7, dam = $8, updated_at = now()
       FROM enterprises e WHERE e.id = t.enterprise_id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), s.id, s.name, s.kind, JSON.stringify(s.chemicals), s.peopleWithin500m, s.dam ? JSON.stringify(s.dam) : null],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function deleteHazardSource(db: Queryable, scope: DataScope, id: string): Promise<boolean> {
  return deleteOwned(db, scope, HAZARD_SOURCES, id);
}

// ---------------------------------------------------------------- devices

function deviceOf(row: Record<string, unknown>): Device {
  return DeviceSchema.parse({ id: row.id, enterpriseId: row.enterprise_id, name: row.name ?? undefined, model: row.model ?? undefined });
}

const DEVICES: OwnedTable<Device> = { table: 'devices', columns: 't.id, t.enterprise_id, t.name, t.model', noun: 'device', of: deviceOf };

export async function listDevices(db: Queryable, scope: DataScope, q: ListQuery): Promise<Device[]> {
  return listOwned(db, scope, DEVICES, q);
}

export async function getDevice(db: Queryable, scope: DataScope, id: string): Promise<Device | null> {
  return getOwned(db, scope, DEVICES, id);
}

/** Insert a device under an enterprise in scope; false when that enterprise is not in scope; an existing id is a conflict. */
export async function insertDevice(db: Queryable, scope: DataScope, d: Device): Promise<boolean> {
  try {
    const r = await db.query(
      `INSERT INTO devices (id, enterprise_id, name, model) SELECT $3, e.id, $5, $6 FROM enterprises e WHERE ${inScope('e')} AND e.id = $4`,
      [...scopeArgs(scope), d.id, d.enterpriseId, d.name ?? null, d.model ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `device ${d.id}`);
  }
}

export async function updateDevice(db: Queryable, scope: DataScope, d: Device): Promise<boolean> {
  const r = await db.query(
    `UPDATE devices t SET name = $4, model = $5, updated_at = now() FROM enterprises e WHERE e.id = t.enterprise_id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), d.id, d.name ?? null, d.model ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function deleteDevice(db: Queryable, scope: DataScope, id: string): Promise<boolean> {
  return deleteOwned(db, scope, DEVICES, id);
}

// ---------------------------------------------------------------- measuring points

/** A measuring point with its database id and the enterprise it belongs to (through its device). */
export type RegisteredPoint = MeasuringPoint & { id: number; enterpriseId: string };

const POINT_COLUMNS =
  'p.id, d.enterprise_id, p.device_id, p.channel, p.hazard_source_id, p.name, p.kind, p.unit, p.range_min, p.range_max, p.expected_interval_s';

function pointOf(row: Record<string, unknown>): RegisteredPoint {
  const p = MeasuringPointSchema.parse({
    id: row.id,
    deviceId: row.device_id,
    channel: row.channel,
    hazardSourceId: row.hazard_source_id,
    name: row.name ?? undefined,
    kind: row.kind,
    unit: row.unit,
    rangeMin: row.range_min,
    rangeMax: row.range_max,
    expectedIntervalS: row.expected_interval_s ?? undefined,
  });
  return { ...p, id: Number(row.id), enterpriseId: String(row.enterprise_id) };
}

export async function listPoints(
  db: Queryable,
  scope: DataScope,
  q: Omit<ListQuery, 'after'> & { after?: number | undefined; hazardSourceId?: string | undefined; deviceId?: string | undefined },
): Promise<RegisteredPoint[]> {
  const r = await db.query(
    `SELECT ${POINT_COLUMNS} FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
      WHERE ${inScope('e')} AND ($3::text IS NULL OR e.id = $3) AND ($4::text IS NULL OR e.region_code LIKE $4 || '%')
        AND ($5::int4 IS NULL OR p.id > $5) AND ($6::text IS NULL OR p.hazard_source_id = $6) AND ($7::text IS NULL OR p.device_id = $7)
      ORDER BY p.id LIMIT $8`,
    [...scopeArgs(scope), q.enterpriseId ?? null, q.regionPrefix ?? null, q.after ?? null, q.hazardSourceId ?? null, q.deviceId ?? null, q.limit],
  );
  return r.rows.map(pointOf);
}

export async function getPoint(db: Queryable, scope: DataScope, id: number): Promise<RegisteredPoint | null> {
  const r = await db.query(
    `SELECT ${POINT_COLUMNS} FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
      WHERE ${inScope('e')} AND p.id = $3`,
    [...scopeArgs(scope), id],
  );
  return r.rows[0] ? pointOf(r.rows[0]) : null;
}

/** The points among `ids` that are in scope (the others do not exist for this caller). */
export async function pointsInScope(db: Queryable, scope: DataScope, ids: readonly number[]): Promise<RegisteredPoint[]> {
  const r = await db.query(
    `SELECT ${POINT_COLUMNS} FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
      WHERE ${inScope('e')} AND p.id = ANY($3::int4[]) ORDER BY p.id`,
    [...scopeArgs(scope), ids],
  );
  return r.rows.map(pointOf);
}

/**
 * Insert a point. Its device and its hazard source must both be in scope and belong to
 * the same enterprise, checked in the same statement; null when they are not.
 */
export async function insertPoint(db: Queryable, scope: DataScope, p: MeasuringPoint): Promise<number | null> {
  try {
    const r = await db.query<{ id: number }>(
      `INSERT INTO measuring_points (device_id, channel, hazard_source_id, name, kind, unit, range_min, range_max, expected_interval_s)
       SELECT d.id, $4, h.id, $6, $7, $8, $9, $10, $11
         FROM devices d JOIN enterprises e ON e.id = d.enterprise_id JOIN hazard_sources h ON h.enterprise_id = d.enterprise_id
        WHERE ${inScope('e')} AND d.id = $3 AND h.id = $5
       RETURNING id`,
      [...scopeArgs(scope), p.deviceId, p.channel, p.hazardSourceId, p.name ?? null, p.kind, p.unit, p.rangeMin, p.rangeMax, p.expectedIntervalS ?? null],
    );
    return r.rows[0]?.id ?? null;
  } catch (err) {
    refusal(err, `point ${p.deviceId}.${p.channel}`);
  }
}

/** Replace a point's fields (its device stays; a new hazard source must be of the same enterprise); false when not in scope. */
export async function updatePoint(db: Queryable, scope: DataScope, id: number, p: MeasuringPoint): Promise<boolean> {
  try {
    const r = await db.query(
      `UPDATE measuring_points t SET channel = $4, hazard_source_id = h.id, name = $6, kind = $7, unit = $8, range_min = $9, range_max = $10,
              expected_interval_s = $11, updated_at = now()
         FROM devices d JOIN enterprises e ON e.id = d.enterprise_id JOIN hazard_sources h ON h.enterprise_id = d.enterprise_id
        WHERE d.id = t.device_id AND ${inScope('e')} AND t.id = $3 AND h.id = $5`,
      [...scopeArgs(scope), id, p.channel, p.hazardSourceId, p.name ?? null, p.kind, p.unit, p.rangeMin, p.rangeMax, p.expectedIntervalS ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `point ${p.deviceId}.${p.channel}`);
  }
}

export async function deletePoint(db: Queryable, scope: DataScope, id: number): Promise<boolean> {
  const r = await db.query(
    `DELETE FROM measuring_points t USING devices d JOIN enterprises e ON e.id = d.enterprise_id
      WHERE d.id = t.device_id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), id],
  );
  return (r.rowCount ?? 0) > 0;
}

// ---------------------------------------------------------------- vehicles

function vehicleOf(row: Record<string, unknown>): Vehicle {
  return VehicleSchema.parse({ id: row.id, enterpriseId: row.enterprise_id, plate: row.plate, cargo: row.cargo ?? undefined });
}

const VEHICLES: OwnedTable<Vehicle> = { table: 'vehicles', columns: 't.id, t.enterprise_id, t.plate, t.cargo', noun: 'vehicle', of: vehicleOf };

export async function listVehicles(db: Queryable, scope: DataScope, q: ListQuery): Promise<Vehicle[]> {
  return listOwned(db, scope, VEHICLES, q);
}

export async function getVehicle(db: Queryable, scope: DataScope, id: string): Promise<Vehicle | null> {
  return getOwned(db, scope, VEHICLES, id);
}

export async function insertVehicle(db: Queryable, scope: DataScope, v: Vehicle): Promise<boolean> {
  try {
    const r = await db.query(
      `INSERT INTO vehicles (id, enterprise_id, plate, cargo) SELECT $3, e.id, $5, $6 FROM enterprises e WHERE ${inScope('e')} AND e.id = $4`,
      [...scopeArgs(scope), v.id, v.enterpriseId, v.plate, v.cargo ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `vehicle ${v.id}`);
  }
}

export async function updateVehicle(db: Queryable, scope: DataScope, v: Vehicle): Promise<boolean> {
  const r = await db.query(
    `UPDATE vehicles t SET plate = $4, cargo = $5, updated_at = now() FROM enterprises e WHERE e.id = t.enterprise_id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), v.id, v.plate, v.cargo ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function deleteVehicle(db: Queryable, scope: DataScope, id: string): Promise<boolean> {
  return deleteOwned(db, scope, VEHICLES, id);
}

// ---------------------------------------------------------------- geofences

function geofenceOf(row: Record<string, unknown>): Geofence {
  const geometry = typeof row.geometry === 'object' && row.geometry !== null ? row.geometry : {};
  return GeofenceSchema.parse({ ...geometry, id: row.id, enterpriseId: row.enterprise_id, name: row.name, kind: row.kind });
}

const GEOFENCES: OwnedTable<Geofence> = { table: 'geofences', columns: 't.id, t.enterprise_id, t.name, t.kind, t.geometry', noun: 'geofence', of: geofenceOf };

function geometryOf(g: Geofence): string {
  return JSON.stringify(g.kind === 'no_entry' ? { polygon: g.polygon } : { line: g.line, corridorWidthM: g.corridorWidthM });
}

export async function listGeofences(db: Queryable, scope: DataScope, q: ListQuery): Promise<Geofence[]> {
  return listOwned(db, scope, GEOFENCES, q);
}

export async function getGeofence(db: Queryable, scope: DataScope, id: string): Promise<Geofence | null> {
  return getOwned(db, scope, GEOFENCES, id);
}

export async function insertGeofence(db: Queryable, scope: DataScope, g: Geofence): Promise<boolean> {
  try {
    const r = await db.query(
      `INSERT INTO geofences (id, enterprise_id, name, kind, geometry) SELECT $3, e.id, $5, $6, $7 FROM enterprises e WHERE ${inScope('e')} AND e.id = $4`,
      [...scopeArgs(scope), g.id, g.enterpriseId, g.name, g.kind, geometryOf(g)],
    );
    return (r.rowCount ?? 0) > 0;
  } catch (err) {
    refusal(err, `geofence ${g.id}`);
  }
}

export async function updateGeofence(db: Queryable, scope: DataScope, g: Geofence): Promise<boolean> {
  const r = await db.query(
    `UPDATE geofences t SET name = $4, kind = $5, geometry = $6, updated_at = now() FROM enterprises e
      WHERE e.id = t.enterprise_id AND ${inScope('e')} AND t.id = $3`,
    [...scopeArgs(scope), g.id, g.name, g.kind, geometryOf(g)],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function deleteGeofence(db: Queryable, scope: DataScope, id: string): Promise<boolean> {
  return deleteOwned(db, scope, GEOFENCES, id);
}

// ---------------------------------------------------------------- site files

/** Everything registered under one enterprise in scope (for the site-file export); null when not in scope. */
export interface EnterpriseRegistry {
  enterprise: Enterprise;
  hazardSources: HazardSource[];
  devices: Device[];
  points: RegisteredPoint[];
  vehicles: Vehicle[];
  geofences: Geofence[];
}

export async function loadEnterpriseRegistry(db: Queryable, scope: DataScope, enterpriseId: string): Promise<EnterpriseRegistry | null> {
  const enterprise = await getEnterprise(db, scope, enterpriseId);
  if (!enterprise) return null;
  // The enterprise is in scope: narrow every further read to it.
  const one: DataScope = { kind: 'enterprise', enterpriseId };
  const all = Number.MAX_SAFE_INTEGER;
  const [hazardSources, devices, points, vehicles, geofences] = await Promise.all([
    listHazardSources(db, one, { limit: all }),
    listDevices(db, one, { limit: all }),
    listPoints(db, one, { limit: all }),
    listVehicles(db, one, { limit: all }),
    listGeofences(db, one, { limit: all }),
  ]);
  return { enterprise, hazardSources, devices, points, vehicles, geofences };
}

/**
 * Ids a site file names that already belong to another enterprise. Importing the file
 * would move them (the import upserts), so the API refuses it while any exist.
 */
export async function idsOwnedElsewhere(
  db: Queryable,
  enterpriseId: string,
  ids: { hazardSources: string[]; devices: string[]; vehicles: string[]; geofences: string[] },
): Promise<string[]> {
  const r = await db.query<{ what: string }>(
    `SELECT 'hazardSources/' || id AS what FROM hazard_sources WHERE id = ANY($2::text[]) AND enterprise_id <> $1
     UNION ALL SELECT 'devices/' || id FROM devices WHERE id = ANY($3::text[]) AND enterprise_id <> $1
     UNION ALL SELECT 'vehicles/' || id FROM vehicles WHERE id = ANY($4::text[]) AND enterprise_id <> $1
     UNION ALL SELECT 'geofences/' || id FROM geofences WHERE id = ANY($5::text[]) AND enterprise_id <> $1`,
    [enterpriseId, ids.hazardSources, ids.devices, ids.vehicles, ids.geofences],
  );
  return r.rows.map((x) => x.what);
}

// ---------------------------------------------------------------- telemetry of registered things

/** A point with its latest reading (nulls when it never reported). */
export interface PointLatest {
  pointId: number;
  deviceId: string;
  channel: string;
  hazardSourceId: string;
  name: string | null;
  kind: string;
  unit: string;
  ts: number | null;
  value: number | null;
  quality: Quality | null;
}

/**
 * Latest value and quality of every point of an enterprise or of a hazard source, in
 * one statement: one backward probe of the (point_id, time) key per point.
 */
export async function latestOfPoints(db: Queryable, scope: DataScope, of: { enterpriseId: string } | { hazardSourceId: string }): Promise<PointLatest[]> {
  const r = await db.query(
    `SELECT p.id, p.device_id, p.channel, p.hazard_source_id, p.name, p.kind, p.unit,
            (extract(epoch FROM l.time) * 1000)::float8 AS ts, l.value, l.quality
       FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
       LEFT JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l ON true
      WHERE ${inScope('e')} AND ($3::text IS NULL OR d.enterprise_id = $3) AND ($4::text IS NULL OR p.hazard_source_id = $4)
      ORDER BY p.id`,
    [...scopeArgs(scope), 'enterpriseId' in of ? of.enterpriseId : null, 'hazardSourceId' in of ? of.hazardSourceId : null],
  );
  return r.rows.map((x) => ({
    pointId: x.id,
    deviceId: x.device_id,
    channel: x.channel,
    hazardSourceId: x.hazard_source_id,
    name: x.name,
    kind: x.kind,
    unit: x.unit,
    ts: x.ts === null ? null : Math.round(x.ts),
    value: x.value,
    quality: x.quality === null ? null : (QUALITY_OF_CODE[x.quality] ?? 'fault'),
  }));
}

/** One position of a vehicle's track. */
export interface TrackPoint {
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number;
  heading: number;
  altitudeM: number | null;
  accOn: boolean | null;
  alarmFlags: number | null;
}

/** Positions of a vehicle in scope over [from, to), oldest first, after `afterMs` (the page cursor). */
export async function vehicleTrack(
  db: Queryable,
  scope: DataScope,
  q: { vehicleId: string; fromMs: number; toMs: number; afterMs?: number | undefined; limit: number },
): Promise<TrackPoint[]> {
  const r = await db.query(
    `SELECT (extract(epoch FROM p.time) * 1000)::float8 AS ts, p.lat, p.lon, p.speed_kmh, p.heading, p.altitude_m, p.acc_on, p.alarm_flags
       FROM positions p JOIN vehicles v ON v.id = p.vehicle_id JOIN enterprises e ON e.id = v.enterprise_id
      WHERE ${inScope('e')} AND p.vehicle_id = $3 AND p.time >= to_timestamp($4 / 1000.0) AND p.time < to_timestamp($5 / 1000.0)
        AND ($6::float8 IS NULL OR p.time > to_timestamp($6 / 1000.0))
      ORDER BY p.time LIMIT $7`,
    [...scopeArgs(scope), q.vehicleId, q.fromMs, q.toMs, q.afterMs ?? null, q.limit],
  );
  return r.rows.map((x) => ({
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

// ---------------------------------------------------------------- broker credentials

/**
 * Store (or replace) the broker credential of a device or vehicle terminal in scope.
 * `passwordHash` is a Mosquitto password-file hash; the password itself is never stored.
 * False when the device/vehicle is not in scope.
 */
export async function setMqttCredential(
  db: Queryable,
  scope: DataScope,
  c: { kind: 'device' | 'vehicle'; id: string; passwordHash: string },
): Promise<boolean> {
  const table = c.kind === 'device' ? 'devices' : 'vehicles';
  const column = c.kind === 'device' ? 'device_id' : 'vehicle_id';
  const r = await db.query(
    `INSERT INTO mqtt_credentials (username, enterprise_id, ${column}, password_hash)
     SELECT x.id, x.enterprise_id, x.id, $4 FROM ${table} x JOIN enterprises e ON e.id = x.enterprise_id WHERE ${inScope('e')} AND x.id = $3
     ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, rotated_at = now()
       WHERE mqtt_credentials.${column} = EXCLUDED.${column}`,
    [...scopeArgs(scope), c.id, c.passwordHash],
  );
  return (r.rowCount ?? 0) > 0;
}

/** `username:hash` lines of every credential in scope, sorted: a Mosquitto `password_file`. */
export async function mqttPasswordFile(db: Queryable, scope: DataScope): Promise<string[]> {
  const r = await db.query<{ line: string }>(
    `SELECT c.username || ':' || c.password_hash AS line FROM mqtt_credentials c JOIN enterprises e ON e.id = c.enterprise_id
      WHERE ${inScope('e')} ORDER BY c.username`,
    scopeArgs(scope),
  );
  return r.rows.map((x) => x.line);
}
