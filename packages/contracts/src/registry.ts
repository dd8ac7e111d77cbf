import { z } from 'zod';
import {
  ChannelSchema,
  DeviceIdSchema,
  EnterpriseIdSchema,
  GeofenceIdSchema,
  HazardSourceIdSchema,
  PointIdSchema,
  RegionCodeSchema,
  VehicleIdSchema,
} from './ids.js';

export const EnterpriseSchema = z
  .object({
    id: EnterpriseIdSchema,
    name: z.string().min(1).max(200),
    regionCode: RegionCodeSchema,
    /** Chemical park the enterprise sits in, when any (a tier between county and enterprise). */
    park: z.string().max(200).nullish(),
    contact: z
      .object({ name: z.string().max(100).optional(), phone: z.string().max(40).optional(), email: z.email().optional() })
      .strict()
      .nullish(),
  })
  .strict();
export type Enterprise = z.infer<typeof EnterpriseSchema>;

export const HazardSourceKindSchema = z.enum(['tank_farm', 'process_unit', 'warehouse', 'tailings_dam']);
export type HazardSourceKind = z.infer<typeof HazardSourceKindSchema>;

/** One hazardous chemical held on a unit (GB 18218-2018 §4): q, Q and β. */
export const HazardousChemicalSchema = z
  .object({
    name: z.string().min(1).max(200),
    cas: z
      .string()
      .regex(/^\d{2,7}-\d{2}-\d$/, 'CAS number like 7664-41-7')
      .optional(),
    quantityT: z.number().nonnegative().describe('actual quantity q in tonnes'),
    criticalQuantityT: z.number().positive().describe('critical quantity Q in tonnes (GB 18218 Table 1/2)'),
    beta: z.number().positive().describe('correction factor β (GB 18218 Table 3/4)'),
  })
  .strict();
export type HazardousChemical = z.infer<typeof HazardousChemicalSchema>;

export const DamTypeSchema = z.enum(['upstream', 'downstream', 'centreline']);
/** Design data of a tailings dam (GB 50863 grade 1-5, type, crest elevation). */
export const TailingsDamSchema = z
  .object({
    grade: z.number().int().min(1).max(5),
    type: DamTypeSchema,
    crestElevationM: z.number(),
  })
  .strict();
export type TailingsDam = z.infer<typeof TailingsDamSchema>;

/** Fields of a hazard source, before cross-field checks (for `omit`/`extend`). */
export const HazardSourceFields = z
  .object({
    id: HazardSourceIdSchema,
    enterpriseId: EnterpriseIdSchema,
    name: z.string().min(1).max(200),
    kind: HazardSourceKindSchema,
    chemicals: z.array(HazardousChemicalSchema).max(200).default([]),
    /** People within 500 m, for GB 18218 α. */
    peopleWithin500m: z.number().int().nonnegative().default(0),
    dam: TailingsDamSchema.nullish(),
  })
  .strict();
export function checkHazardSource(s: { kind: HazardSourceKind; dam?: TailingsDam | null | undefined }, ctx: z.RefinementCtx): void {
  if (s.kind === 'tailings_dam' && !s.dam)
    ctx.addIssue({ code: 'custom', path: ['dam'], message: 'a tailings dam needs its design data (grade, type, crest elevation)' });
}
export const HazardSourceSchema = HazardSourceFields.superRefine(checkHazardSource);
export type HazardSource = z.infer<typeof HazardSourceSchema>;

export const DeviceSchema = z
  .object({
    id: DeviceIdSchema,
    enterpriseId: EnterpriseIdSchema,
    name: z.string().max(200).optional(),
    model: z.string().max(100).optional(),
  })
  .strict();
export type Device = z.infer<typeof DeviceSchema>;

/** What a measuring point measures. Units are fixed per kind so rules never mix them. */
export const PointKindSchema = z.enum([
  'combustible_gas',
  'toxic_gas',
  'oxygen',
  'pressure',
  'level',
  'temperature',
  'flow',
  'valve_state',
  'pump_state',
  'interlock_state',
  'interlock_bypass',
  'pond_level',
  'beach_length',
  'phreatic_depth',
  'displacement',
  'rainfall',
  'other',
]);
export type PointKind = z.infer<typeof PointKindSchema>;

export const UNIT_OF_KIND: Readonly<Record<PointKind, string>> = {
  combustible_gas: '%LEL',
  toxic_gas: 'ppm',
  oxygen: '%VOL',
  pressure: 'MPa',
  level: 'm',
  temperature: '°C',
  flow: 'm3/h',
  valve_state: 'state',
  pump_state: 'state',
  interlock_state: 'state',
  interlock_bypass: 'state',
  pond_level: 'm',
  beach_length: 'm',
  phreatic_depth: 'm',
  displacement: 'mm',
  rainfall: 'mm',
  other: '',
};

/** Fields of a measuring point, before cross-field checks (for `omit`/`extend`). */
export const MeasuringPointFields = z
  .object({
    id: PointIdSchema.optional(),
    deviceId: DeviceIdSchema,
    channel: ChannelSchema,
    hazardSourceId: HazardSourceIdSchema,
    name: z.string().max(200).optional(),
    kind: PointKindSchema,
    unit: z.string().max(20),
    /** Instrument (physical) range: a value outside it is a sensor fault, not a reading. */
    rangeMin: z.number(),
    rangeMax: z.number(),
    /** Expected reporting interval, used by interruption rules (1 s for gas, 600-86400 s for dams). */
    expectedIntervalS: z
      .number()
      .positive()
      .max(7 * 86400)
      .optional(),
  })
  .strict();
export const MeasuringPointSchema = MeasuringPointFields.refine((p) => p.rangeMin < p.rangeMax, {
  message: 'rangeMin must be below rangeMax',
  path: ['rangeMax'],
});
export type MeasuringPoint = z.infer<typeof MeasuringPointSchema>;

export const RoadClassSchema = z.enum(['expressway', 'other']);
export const VehicleSchema = z
  .object({
    id: VehicleIdSchema,
    enterpriseId: EnterpriseIdSchema,
    plate: z.string().min(1).max(20),
    cargo: z.string().max(200).optional(),
  })
  .strict();
export type Vehicle = z.infer<typeof VehicleSchema>;

const LonLatSchema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
export const GeofenceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      id: GeofenceIdSchema,
      enterpriseId: EnterpriseIdSchema,
      name: z.string().min(1).max(200),
      kind: z.literal('no_entry'),
      /** Closed ring of [lon, lat] (first = last), GeoJSON order. */
      polygon: z.array(LonLatSchema).min(4),
    })
    .strict()
    .refine((g) => g.polygon[0]?.[0] === g.polygon.at(-1)?.[0] && g.polygon[0]?.[1] === g.polygon.at(-1)?.[1], {
      message: 'polygon ring must be closed (first point = last point)',
      path: ['polygon'],
    }),
  z
    .object({
      id: GeofenceIdSchema,
      enterpriseId: EnterpriseIdSchema,
      name: z.string().min(1).max(200),
      kind: z.literal('route_corridor'),
      /** Planned route as a polyline of [lon, lat]. */
      line: z.array(LonLatSchema).min(2),
      corridorWidthM: z.number().positive().max(50_000),
    })
    .strict(),
]);
export type Geofence = z.infer<typeof GeofenceSchema>;
