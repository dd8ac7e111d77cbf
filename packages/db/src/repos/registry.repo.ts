import type { Device, Enterprise, Geofence, HazardSource, MeasuringPoint, Vehicle } from '@hazardwatch/contracts';
import type { Pool, PoolClient } from '../pool.js';

type Queryable = Pool | PoolClient;

export async function upsertEnterprise(db: Queryable, e: Enterprise): Promise<void> {
  await db.query(
    `INSERT INTO enterprises (id, name, region_code, park, contact) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, region_code = EXCLUDED.region_code, park = EXCLUDED.park,
       contact = EXCLUDED.contact, updated_at = now()
     WHERE (enterprises.name, enterprises.region_code, enterprises.park, enterprises.contact)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.region_code, EXCLUDED.park, EXCLUDED.contact)`,
    [e.id, e.name, e.regionCode, e.park ?? null, e.contact ? JSON.stringify(e.contact) : null],
  );
}

export async function upsertHazardSource(db: Queryable, s: HazardSource): Promise<void> {
  await db.query(
    `INSERT INTO hazard_sources (id, enterprise_id, name, kind, chemicals, people_within_500m, dam) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
       chemicals = EXCLUDED.chemicals, people_within_500m = EXCLUDED.people_within_500m, dam = EXCLUDED.dam, updated_at = now()
     WHERE (hazard_sources.enterprise_id, hazard_sources.name, hazard_sources.kind, hazard_sources.chemicals, hazard_sources.people_within_500m, hazard_sources.dam)
       IS DISTINCT FROM (EXCLUDED.enterprise_id, EXCLUDED.name, EXCLUDED.kind, EXCLUDED.chemicals, EXCLUDED.people_within_500m, EXCLUDED.dam)`,
    [s.id, s.enterpriseId, s.name, s.kind, JSON.stringify(s.chemicals), s.peopleWithin500m, s.dam ? JSON.stringify(s.dam) : null],
  );
}

export async function upsertDevice(db: Queryable, d: Device): Promise<void> {
  await db.query(
    `INSERT INTO devices (id, enterprise_id, name, model) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, name = EXCLUDED.name, model = EXCLUDED.model, updated_at = now()
     WHERE (devices.enterprise_id, devices.name, devices.model) IS DISTINCT FROM (EXCLUDED.enterprise_id, EXCLUDED.name, EXCLUDED.model)`,
    [d.id, d.enterpriseId, d.name ?? null, d.model ?? null],
  );
}

/** Insert or update a point by (device, channel); returns its id. */
export async function upsertMeasuringPoint(db: Queryable, p: MeasuringPoint): Promise<number> {
  const r = await db.query<{ id: number }>(
    `INSERT INTO measuring_points (device_id, channel, hazard_source_id, name, kind, unit, range_min, range_max, expected_interval_s)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (device_id, channel) DO UPDATE SET hazard_source_id = EXCLUDED.hazard_source_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
       unit = EXCLUDED.unit, range_min = EXCLUDED.range_min, range_max = EXCLUDED.range_max, expected_interval_s = EXCLUDED.expected_interval_s,
       updated_at = now()
     RETURNING id`,
    [p.deviceId, p.channel, p.hazardSourceId, p.name ?? null, p.kind, p.unit, p.rangeMin, p.rangeMax, p.expectedIntervalS ?? null],
  );
  const id = r.rows[0]?.id;
  if (id === undefined) throw new Error('upsert returned no id');
  return id;
}

export async function upsertVehicle(db: Queryable, v: Vehicle): Promise<void> {
  await db.query(
    `INSERT INTO vehicles (id, enterprise_id, plate, cargo) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, plate = EXCLUDED.plate, cargo = EXCLUDED.cargo, updated_at = now()
     WHERE (vehicles.enterprise_id, vehicles.plate, vehicles.cargo) IS DISTINCT FROM (EXCLUDED.enterprise_id, EXCLUDED.plate, EXCLUDED.cargo)`,
    [v.id, v.enterpriseId, v.plate, v.cargo ?? null],
  );
}

export async function upsertGeofence(db: Queryable, g: Geofence): Promise<void> {
  const geometry = g.kind === 'no_entry' ? { polygon: g.polygon } : { line: g.line, corridorWidthM: g.corridorWidthM };
  await db.query(
    `INSERT INTO geofences (id, enterprise_id, name, kind, geometry) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, name = EXCLUDED.name, kind = EXCLUDED.kind, geometry = EXCLUDED.geometry, updated_at = now()`,
    [g.id, g.enterpriseId, g.name, g.kind, JSON.stringify(geometry)],
  );
}

/** What ingest needs to route one device's channels: enterprise, points with ranges, partition key. */
export interface IngestDevice {
  deviceId: string;
  enterpriseId: string;
  points: Map<string, IngestPoint>;
}
export interface IngestPoint {
  pointId: number;
  hazardSourceId: string;
  rangeMin: number;
  rangeMax: number;
}

/**
 * Routing of several devices in one query: a map holding each known id (unknown ids are absent).
 * Ingest loads its cache in batches, so thousands of devices coming due at once cost a few
 * queries, not one each.
 */
export async function findIngestDevices(db: Queryable, deviceIds: readonly string[]): Promise<Map<string, IngestDevice>> {
  const r = await db.query<{
    device_id: string;
    enterprise_id: string;
    id: number | null;
    channel: string | null;
    hazard_source_id: string | null;
    range_min: number | null;
    range_max: number | null;
  }>(
    `SELECT d.id AS device_id, d.enterprise_id, p.id, p.channel, p.hazard_source_id, p.range_min, p.range_max
       FROM devices d LEFT JOIN measuring_points p ON p.device_id = d.id WHERE d.id = ANY($1::text[])`,
    [deviceIds],
  );
  const found = new Map<string, IngestDevice>();
  for (const row of r.rows) {
    let device = found.get(row.device_id);
    if (!device) {
      device = { deviceId: row.device_id, enterpriseId: row.enterprise_id, points: new Map<string, IngestPoint>() };
      found.set(row.device_id, device);
    }
    if (row.id === null || row.channel === null || row.hazard_source_id === null || row.range_min === null || row.range_max === null) continue;
    device.points.set(row.channel, { pointId: row.id, hazardSourceId: row.hazard_source_id, rangeMin: row.range_min, rangeMax: row.range_max });
  }
  return found;
}

/** Enterprise of each of several vehicles: a map holding each known id (unknown ids are absent). */
export async function findVehicleEnterprises(db: Queryable, vehicleIds: readonly string[]): Promise<Map<string, string>> {
  const r = await db.query<{ id: string; enterprise_id: string }>('SELECT id, enterprise_id FROM vehicles WHERE id = ANY($1::text[])', [vehicleIds]);
  return new Map(r.rows.map((x) => [x.id, x.enterprise_id]));
}

/** Region code of an enterprise (null when unknown). */
export async function findEnterpriseRegion(db: Queryable, enterpriseId: string): Promise<string | null> {
  const r = await db.query<{ region_code: string }>('SELECT region_code FROM enterprises WHERE id = $1', [enterpriseId]);
  return r.rows[0]?.region_code ?? null;
}

/** Points with their registry facts, by id (for rule evaluation and queries). */
export async function listPointsOfEnterprise(db: Queryable, enterpriseId: string): Promise<Array<MeasuringPoint & { id: number }>> {
  const r = await db.query(
    `SELECT p.id, p.device_id, p.channel, p.hazard_source_id, p.name, p.kind, p.unit, p.range_min, p.range_max, p.expected_interval_s
       FROM measuring_points p JOIN devices d ON d.id = p.device_id WHERE d.enterprise_id = $1 ORDER BY p.id`,
    [enterpriseId],
  );
  return r.rows.map((row) => ({
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
  }));
}

/** Point id of `{deviceId}.{channel}` (null when not registered). */
export async function findPointId(db: Queryable, deviceId: string, channel: string): Promise<number | null> {
  const r = await db.query<{ id: number }>('SELECT id FROM measuring_points WHERE device_id = $1 AND channel = $2', [deviceId, channel]);
  return r.rows[0]?.id ?? null;
}
