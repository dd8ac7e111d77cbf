import { type SiteFile, SiteFileSchema, UNIT_OF_KIND } from '@hazardwatch/contracts';
import { DbError, DbErrorCode } from './errors.js';
import { type Pool, withTransaction } from './pool.js';
import { upsertDevice, upsertEnterprise, upsertGeofence, upsertHazardSource, upsertMeasuringPoint, upsertVehicle } from './repos/registry.repo.js';

export interface SiteFileResult {
  enterpriseId: string;
  hazardSources: number;
  devices: number;
  points: number;
  vehicles: number;
  geofences: number;
  /** `{deviceId}.{channel}` → point id, for simulators and tests. */
  pointIds: Record<string, number>;
}

/**
 * Put a site file into the registry, idempotently (upserts in one transaction).
 * Input that is not yet parsed is validated here; an invalid file changes nothing.
 */
export async function applySiteFile(pool: Pool, input: SiteFile | unknown): Promise<SiteFileResult> {
  const parsed = SiteFileSchema.safeParse(input);
  if (!parsed.success) {
    throw new DbError(DbErrorCode.SiteFileInvalid, `invalid site file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const site = parsed.data;
  const enterpriseId = site.enterprise.id;
  return withTransaction(pool, async (tx) => {
    await upsertEnterprise(tx, site.enterprise);
    for (const hs of site.hazardSources) await upsertHazardSource(tx, { ...hs, enterpriseId });
    const pointIds: Record<string, number> = {};
    let points = 0;
    for (const d of site.devices) {
      await upsertDevice(tx, { id: d.id, enterpriseId, name: d.name, model: d.model });
      for (const p of d.points) {
        const hazardSourceId = p.hazardSourceId ?? d.hazardSourceId;
        if (!hazardSourceId) throw new DbError(DbErrorCode.SiteFileInvalid, `point ${d.id}.${p.channel} has no hazard source`);
        const id = await upsertMeasuringPoint(tx, { ...p, unit: p.unit || UNIT_OF_KIND[p.kind], deviceId: d.id, hazardSourceId });
        pointIds[`${d.id}.${p.channel}`] = id;
        points++;
      }
    }
    for (const v of site.vehicles) await upsertVehicle(tx, { ...v, enterpriseId });
    for (const g of site.geofences) await upsertGeofence(tx, g);
    return {
      enterpriseId,
      hazardSources: site.hazardSources.length,
      devices: site.devices.length,
      points,
      vehicles: site.vehicles.length,
      geofences: site.geofences.length,
      pointIds,
    };
  });
}
