import {
  DeviceSchema,
  EnterpriseSchema,
  GeofenceSchema,
  HazardSourceFields,
  MeasuringPointFields,
  SiteFileSchema,
  VehicleSchema,
} from '@hazardwatch/contracts';
import { z } from 'zod';

/** Body of an import: the contracts' site file, exactly. */
export const SiteFileBody = SiteFileSchema.meta({ id: 'SiteFile' });

/**
 * The site file as exported: the same format written out (no parse-time transform, so
 * it serialises); importing an export reproduces the register.
 */
export const SiteFileExportSchema = z
  .object({
    version: z.literal(1),
    enterprise: EnterpriseSchema,
    hazardSources: z.array(HazardSourceFields.omit({ enterpriseId: true })),
    devices: z.array(DeviceSchema.omit({ enterpriseId: true }).extend({ points: z.array(MeasuringPointFields.omit({ id: true, deviceId: true })) })),
    vehicles: z.array(VehicleSchema.omit({ enterpriseId: true })),
    // Geofences keep their enterpriseId (an import overrides it with the file's enterprise).
    geofences: z.array(GeofenceSchema),
  })
  .meta({ id: 'SiteFileExport' });
export type SiteFileExport = z.infer<typeof SiteFileExportSchema>;

export const SiteFileResultSchema = z.object({
  enterpriseId: z.string(),
  hazardSources: z.number().int(),
  devices: z.number().int(),
  points: z.number().int(),
  vehicles: z.number().int(),
  geofences: z.number().int(),
  pointIds: z.record(z.string(), z.number().int()).describe('`{deviceId}.{channel}` → point id'),
});
