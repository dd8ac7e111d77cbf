import {
  DeviceIdSchema,
  DeviceSchema,
  EnterpriseIdSchema,
  EnterpriseSchema,
  GeofenceIdSchema,
  GeofenceSchema,
  HazardSourceIdSchema,
  HazardSourceKindSchema,
  HazardSourceSchema,
  MeasuringPointFields,
  PointIdSchema,
  RegionPrefixSchema,
  VehicleIdSchema,
  VehicleSchema,
} from '@hazardwatch/contracts';
import { z } from 'zod';
import { PageQuerySchema } from './page.js';

// Request and response bodies of the register are the contracts' schemas themselves:
// what a site file holds, what POST and PUT take, and what GET returns are one shape.

export const EnterpriseView = EnterpriseSchema.meta({ id: 'Enterprise' });
export const HazardSourceView = HazardSourceSchema.meta({ id: 'HazardSource' });
export const DeviceView = DeviceSchema.meta({ id: 'Device' });
export const VehicleView = VehicleSchema.meta({ id: 'Vehicle' });
export const GeofenceView = GeofenceSchema.meta({ id: 'Geofence' });

/** A measuring point as POSTed or PUT: the server assigns the id. */
export const NewPointSchema = MeasuringPointFields.omit({ id: true })
  .refine((p) => p.rangeMin < p.rangeMax, { message: 'rangeMin must be below rangeMax', path: ['rangeMax'] })
  .meta({ id: 'NewMeasuringPoint' });
export const PointView = MeasuringPointFields.extend({ id: PointIdSchema, enterpriseId: EnterpriseIdSchema }).meta({ id: 'MeasuringPoint' });

/** A broker credential, returned once when a device or vehicle is created or its credential rotated. */
export const MqttCredentialSchema = z
  .object({
    username: z.string().describe('MQTT user name (the device or vehicle id)'),
    password: z.string().describe('MQTT password: shown once, only a Mosquitto $7$ hash is stored'),
  })
  .meta({ id: 'MqttCredential' });

export const CreatedDeviceSchema = z.object({ device: DeviceView, credential: MqttCredentialSchema });
export const CreatedVehicleSchema = z.object({ vehicle: VehicleView, credential: MqttCredentialSchema });

/** Filters of every register list; they narrow the caller's scope, never widen it. */
export const RegistryListQuery = PageQuerySchema.extend({
  enterpriseId: EnterpriseIdSchema.optional(),
  region: RegionPrefixSchema.optional().describe('GB/T 2260 region prefix (2, 4 or 6 digits)'),
});
export const HazardSourceListQuery = RegistryListQuery.extend({ kind: HazardSourceKindSchema.optional() });
export const PointListQuery = RegistryListQuery.extend({ hazardSourceId: HazardSourceIdSchema.optional(), deviceId: DeviceIdSchema.optional() });

export const EnterpriseParams = z.object({ enterpriseId: EnterpriseIdSchema });
export const HazardSourceParams = z.object({ hazardSourceId: HazardSourceIdSchema });
export const DeviceParams = z.object({ deviceId: DeviceIdSchema });
export const VehicleParams = z.object({ vehicleId: VehicleIdSchema });
export const GeofenceParams = z.object({ geofenceId: GeofenceIdSchema });
export const PointParams = z.object({ pointId: z.coerce.number().int().positive().max(2_147_483_647) });
