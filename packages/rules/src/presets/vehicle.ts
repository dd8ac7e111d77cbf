import { VehicleIdSchema, ZoneSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';

const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;

const vehicleBase = PresetBaseParamsSchema.extend({
  /** One vehicle, or null for every vehicle of the enterprise. */
  vehicleId: VehicleIdSchema.nullable().default(null),
});
const vehicleFields = (p: z.infer<typeof vehicleBase>) => ({
  kind: 'vehicle' as const,
  category: 'vehicle' as const,
  vehicleId: p.vehicleId,
  hazardSourceId: null,
});

const SPEED_SOURCE = 'Road traffic rules for hazardous-goods vehicles: ≤ 80 km/h on expressways, ≤ 60 km/h on other roads; the hold duration is a policy';

/** Overspeed against the hazmat limits; limits may be set lower, never higher. */
export const vehicleOverspeedPreset = definePreset({
  id: 'vehicle-overspeed',
  title: 'Hazardous-goods vehicle overspeed',
  description:
    'Speed above 80 km/h on an expressway or 60 km/h elsewhere, held for a duration (policy, default 10 s). Expressway corridors decide the road class; elsewhere the default class applies.',
  source: SPEED_SOURCE,
  kind: 'vehicle',
  params: vehicleBase
    .extend({
      expresswayLimitKmh: z.number().positive().max(80, 'hazardous-goods vehicles may not exceed 80 km/h on expressways').default(80),
      otherLimitKmh: z.number().positive().max(60, 'hazardous-goods vehicles may not exceed 60 km/h on other roads').default(60),
      /** [policy] How long the speed must stay above the limit. */
      durationMs: z.number().int().min(0).max(HOUR_MS).default(10_000),
      expressways: z.array(z.object({ line: z.array(z.tuple([z.number(), z.number()])).min(2), widthM: z.number().positive() }).strict()).default([]),
      defaultRoadClass: z.enum(['expressway', 'other']).default('other'),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Overspeed', SPEED_SOURCE),
    ...vehicleFields(p),
    check: {
      type: 'overspeed',
      limitsKmh: { expressway: p.expresswayLimitKmh, other: p.otherLimitKmh },
      expressways: p.expressways,
      defaultRoadClass: p.defaultRoadClass,
      durationMs: p.durationMs,
    },
  }),
});

const FATIGUE_SOURCE = 'Road traffic rules: more than 4 h of continuous driving without a stop of at least 20 min is fatigue driving';

export const vehicleFatiguePreset = definePreset({
  id: 'vehicle-fatigue',
  title: 'Fatigue driving',
  description: 'Continuous driving of 4 h without a stop of at least 20 min; cleared once such a rest is complete.',
  source: FATIGUE_SOURCE,
  kind: 'vehicle',
  params: vehicleBase
    .extend({
      maxDrivingMs: z
        .number()
        .int()
        .positive()
        .max(4 * HOUR_MS, 'the rules allow at most 4 h of continuous driving')
        .default(4 * HOUR_MS),
      minRestMs: z
        .number()
        .int()
        .min(20 * MIN_MS, 'a rest is at least 20 min')
        .max(24 * HOUR_MS)
        .default(20 * MIN_MS),
      stopSpeedKmh: z.number().min(0).max(30).default(5),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Fatigue driving', FATIGUE_SOURCE),
    ...vehicleFields(p),
    check: { type: 'fatigue', maxDrivingMs: p.maxDrivingMs, minRestMs: p.minRestMs, stopSpeedKmh: p.stopSpeedKmh },
  }),
});

const NIGHT_SOURCE = 'Provincial policy (e.g. hazardous-goods vehicles banned 00:00-06:00 local time); a policy, not a national figure';

export const vehicleForbiddenHoursPreset = definePreset({
  id: 'vehicle-forbidden-hours',
  title: 'Driving in forbidden hours',
  description: 'Moving inside a local-time ban window (default 00:00-06:00 at UTC+8); raised exactly when the window opens on a moving vehicle.',
  source: NIGHT_SOURCE,
  kind: 'vehicle',
  params: vehicleBase
    .extend({
      windows: z
        .array(z.object({ from: z.string(), to: z.string() }).strict())
        .min(1)
        .default([{ from: '00:00', to: '06:00' }]),
      utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
      stopSpeedKmh: z.number().min(0).max(30).default(5),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Forbidden hours', NIGHT_SOURCE),
    ...vehicleFields(p),
    check: { type: 'forbidden_hours', windows: p.windows, utcOffsetMinutes: p.utcOffsetMinutes, stopSpeedKmh: p.stopSpeedKmh },
  }),
});

const STOP_SOURCE = 'Policy: a long unplanned stop of a loaded hazardous-goods vehicle (JT/T 808 alarm bit 19, overtime parking); duration set per enterprise';

export const vehicleLongStopPreset = definePreset({
  id: 'vehicle-long-stop',
  title: 'Long unplanned stop',
  description: 'Stopped longer than a policy duration (default 30 min) outside the allowed areas (depots, loading bays).',
  source: STOP_SOURCE,
  kind: 'vehicle',
  params: vehicleBase
    .extend({
      maxStopMs: z
        .number()
        .int()
        .positive()
        .max(24 * HOUR_MS)
        .default(30 * MIN_MS),
      allowedAreas: z.array(ZoneSchema).default([]),
      stopSpeedKmh: z.number().min(0).max(30).default(5),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Long stop', STOP_SOURCE),
    ...vehicleFields(p),
    check: { type: 'long_stop', maxStopMs: p.maxStopMs, allowedAreas: p.allowedAreas, stopSpeedKmh: p.stopSpeedKmh },
  }),
});

const OFFLINE_SOURCE = 'JT/T 808-2019 terminals report at least once per second while moving (provincial rules vary); the offline timeout is a policy';

export const vehicleOfflinePreset = definePreset({
  id: 'vehicle-offline',
  title: 'Positioning offline',
  description: 'No position for a policy duration (default 5 min). A selected vehicle that never reports counts from the rule start.',
  source: OFFLINE_SOURCE,
  kind: 'vehicle',
  params: vehicleBase
    .extend({
      timeoutMs: z
        .number()
        .int()
        .positive()
        .max(7 * 24 * HOUR_MS)
        .default(5 * MIN_MS),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Positioning offline', OFFLINE_SOURCE),
    ...vehicleFields(p),
    check: { type: 'offline', timeoutMs: p.timeoutMs },
  }),
});
