import { DamTypeSchema, PointIdSchema, TailingsEscalationSchema, TailingsGradesSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';
import { GB50863_MIN_BEACH_M, GB50863_MIN_FREEBOARD_M, minimumFor } from './tailings-minimums.js';

const HOUR_MS = 3_600_000;

/**
 * The parameters of one monitoring item (its points, hysteresis, multi-point policy and design
 * values), shared by the single-item presets below and the whole-dam preset (tailings-dam.ts).
 */
const itemPolicy = {
  pointIds: z.array(PointIdSchema).min(1),
  /** Hysteresis to leave a grade, in the item's unit. */
  deadband: z.number().min(0).default(0),
  /** Multi-point aggregation policy (GB 39496-2020 §5.5.4): defaults 4 blue → yellow, 3 yellow → orange, 2 orange → red. */
  escalation: TailingsEscalationSchema.optional(),
};
export const DamSchema = z.object({ grade: z.number().int().min(1).max(5), type: DamTypeSchema }).strict();
export type DamParams = z.infer<typeof DamSchema>;
const optionalValue = z.number().finite().nullable().default(null);

/** The fields of a tailings item document (a `tailings` rule or a dam's item) that come from its policy parameters. */
const itemFields = (p: { pointIds: number[]; deadband: number; escalation?: z.infer<typeof TailingsEscalationSchema> | undefined }) => ({
  pointIds: p.pointIds,
  deadband: p.deadband,
  ...(p.escalation ? { escalation: p.escalation } : {}),
});

const tailingsFields = (p: Parameters<typeof itemFields>[0]) => ({ kind: 'tailings' as const, category: 'dam' as const, ...itemFields(p) });

export const FreeboardItemParams = z
  .object({
    ...itemPolicy,
    crestElevationM: z.number().finite(),
    /** Overrides the table's minimum (required where the product has none). */
    redM: z.number().positive().optional(),
    /** From the dam's flood-routing capacity (design data). */
    orangeM: optionalValue,
    yellowM: optionalValue,
    blueM: optionalValue,
  })
  .strict();
/** Why a freeboard item cannot be built for this dam, or null. */
export function freeboardRedMissing(dam: DamParams, redM: number | undefined): string | null {
  return redM === undefined && minimumFor(GB50863_MIN_FREEBOARD_M, dam.type, dam.grade) === null
    ? `no GB 50863 minimum freeboard is known here for a ${dam.type} dam: give redM from the design`
    : null;
}
export const freeboardItem = (p: z.infer<typeof FreeboardItemParams>, dam: DamParams) => ({
  ...itemFields(p),
  item: {
    measure: 'freeboard' as const,
    crestElevationM: p.crestElevationM,
    grades: { red: p.redM ?? minimumFor(GB50863_MIN_FREEBOARD_M, dam.type, dam.grade), orange: p.orangeM, yellow: p.yellowM, blue: p.blueM },
  },
});

export const BeachItemParams = z
  .object({ ...itemPolicy, redM: z.number().positive().optional(), orangeM: optionalValue, yellowM: optionalValue, blueM: optionalValue })
  .strict();
export const beachItem = (p: z.infer<typeof BeachItemParams>, dam: DamParams) => ({
  ...itemFields(p),
  item: {
    measure: 'beach_length' as const,
    grades: { red: p.redM ?? minimumFor(GB50863_MIN_BEACH_M, dam.type, dam.grade), orange: p.orangeM, yellow: p.yellowM, blue: p.blueM },
  },
});

export const PhreaticItemParams = z
  .object({
    ...itemPolicy,
    designMinBurialDepthM: z.number().positive(),
    orangeFactor: z.number().min(1).max(3).default(1.1),
    yellowM: optionalValue,
    blueM: optionalValue,
  })
  .strict();
export const phreaticItem = (p: z.infer<typeof PhreaticItemParams>) => ({
  ...itemFields(p),
  item: {
    measure: 'phreatic_depth' as const,
    grades: { red: p.designMinBurialDepthM, orange: p.designMinBurialDepthM * p.orangeFactor, yellow: p.yellowM, blue: p.blueM },
  },
});

export const RainfallItemParams = z
  .object({
    ...itemPolicy,
    reading: z.enum(['increment', 'cumulative']).default('increment'),
    oneHour: TailingsGradesSchema.nullable().default(null),
    twelveHours: TailingsGradesSchema.default({ blue: null, yellow: 30, orange: null, red: null }),
    twentyFourHours: TailingsGradesSchema.default({ blue: null, yellow: 50, orange: null, red: null }),
  })
  .strict();
export const rainfallItem = (p: z.infer<typeof RainfallItemParams>) => ({
  ...itemFields(p),
  item: {
    measure: 'rainfall' as const,
    reading: p.reading,
    windows: [
      ...(p.oneHour ? [{ windowMs: HOUR_MS, grades: p.oneHour }] : []),
      { windowMs: 12 * HOUR_MS, grades: p.twelveHours },
      { windowMs: 24 * HOUR_MS, grades: p.twentyFourHours },
    ],
  },
});

export const DisplacementItemParams = z
  .object({ ...itemPolicy, redMm: z.number().positive(), orangeMm: z.number().positive().optional(), yellowMm: optionalValue, blueMm: optionalValue })
  .strict();
export const displacementItem = (p: z.infer<typeof DisplacementItemParams>) => ({
  ...itemFields(p),
  item: { measure: 'displacement' as const, grades: { red: p.redMm, orange: p.orangeMm ?? 0.8 * p.redMm, yellow: p.yellowMm, blue: p.blueMm } },
});

export const DisplacementRateItemParams = z.object({ ...itemPolicy, windowMs: z.number().int().positive(), grades: TailingsGradesSchema }).strict();
export const displacementRateItem = (p: z.infer<typeof DisplacementRateItemParams>) => ({
  ...itemFields(p),
  item: { measure: 'displacement_rate' as const, windowMs: p.windowMs, grades: p.grades },
});

/** Pond level against the design flood / pre-flood / production control levels (design data: which level is which colour). */
export const PondLevelItemParams = z.object({ ...itemPolicy, grades: TailingsGradesSchema }).strict();
export const pondLevelItem = (p: z.infer<typeof PondLevelItemParams>) => ({ ...itemFields(p), item: { measure: 'pond_level' as const, grades: p.grades } });

const FREEBOARD_SOURCE =
  'GB 51108-2015 §8.3: freeboard red = the GB 50863-2013 minimum for the dam grade and type [unconfirmed figures, overridable]; orange from the flood-routing capacity (design data)';

/** Freeboard = crest elevation − pond level (the points are pond level gauges). */
export const tailingsFreeboardPreset = definePreset({
  id: 'tailings-freeboard',
  title: 'Tailings dam freeboard (GB 51108 §8.3)',
  description:
    'Freeboard (crest elevation − pond level) graded against the GB 50863 minimum for the dam (red) and design values for orange/yellow/blue. Minimums are [unconfirmed] and overridable.',
  source: FREEBOARD_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend({ dam: DamSchema, ...FreeboardItemParams.shape })
    .strict()
    .superRefine((p, ctx) => {
      const missing = freeboardRedMissing(p.dam, p.redM);
      if (missing) ctx.addIssue({ code: 'custom', path: ['redM'], message: missing });
    }),
  build: (p) => ({ ...baseFields(p, 'Freeboard', FREEBOARD_SOURCE), ...tailingsFields(p), item: freeboardItem(p, p.dam).item }),
});

const BEACH_SOURCE = 'GB 51108-2015 §8.3: dry beach red = the GB 50863-2013 minimum length for the dam grade and type [unconfirmed figures, overridable]';

export const tailingsBeachPreset = definePreset({
  id: 'tailings-beach',
  title: 'Tailings dam dry beach length (GB 51108 §8.3)',
  description: 'Dry beach length graded against the GB 50863 minimum for the dam grade and type (red) and design values for the other colours.',
  source: BEACH_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend({ dam: DamSchema, ...BeachItemParams.shape }).strict(),
  build: (p) => ({ ...baseFields(p, 'Dry beach length', BEACH_SOURCE), ...tailingsFields(p), item: beachItem(p, p.dam).item }),
});

const PHREATIC_SOURCE = 'GB 51108-2015 §8.3 and commentary: phreatic line red = the design minimum burial depth, orange = 1.1 × red';

/** Phreatic line burial depth: shallower is worse. Red = design minimum burial depth, orange = 1.1 × red. */
export const tailingsPhreaticPreset = definePreset({
  id: 'tailings-phreatic',
  title: 'Tailings dam phreatic line depth (GB 51108 §8.3)',
  description: 'Phreatic line burial depth: red at the design minimum burial depth, orange at 1.1 × that depth; yellow/blue optional design values.',
  source: PHREATIC_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend(PhreaticItemParams.shape).strict(),
  build: (p) => ({ ...baseFields(p, 'Phreatic line depth', PHREATIC_SOURCE), ...tailingsFields(p), item: phreaticItem(p).item }),
});

const RAIN_SOURCE = 'GB 51108-2015 §8.3: rainfall yellow at the weather service rainstorm grade (12 h ≥ 30 mm or 24 h ≥ 50 mm)';

/** Rainfall accumulation over 12 h and 24 h (yellow at the rainstorm grade), optionally 1 h and more colours. */
export const tailingsRainfallPreset = definePreset({
  id: 'tailings-rainfall',
  title: 'Tailings dam rainfall (GB 51108 §8.3)',
  description:
    'Rain accumulated over trailing 12 h and 24 h windows: yellow at 30 mm / 50 mm (rainstorm grade); other colours and a 1 h window from the design.',
  source: RAIN_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend(RainfallItemParams.shape).strict(),
  build: (p) => ({ ...baseFields(p, 'Rainfall', RAIN_SOURCE), ...tailingsFields(p), item: rainfallItem(p).item }),
});

const DISPLACEMENT_SOURCE = 'GB 51108-2015 §8.3 and commentary: displacement values set per dam; landslide displacement orange = 80 % of red';

export const tailingsDisplacementPreset = definePreset({
  id: 'tailings-displacement',
  title: 'Tailings dam displacement (GB 51108 §8.3)',
  description: 'Accumulated displacement against the design red value; orange at 80 % of red unless given; yellow/blue optional.',
  source: DISPLACEMENT_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend(DisplacementItemParams.shape).strict(),
  build: (p) => ({ ...baseFields(p, 'Displacement', DISPLACEMENT_SOURCE), ...tailingsFields(p), item: displacementItem(p).item }),
});

const RATE_SOURCE = 'GB 51108-2015 §8.3: displacement rates set per dam (no fixed values)';

export const tailingsDisplacementRatePreset = definePreset({
  id: 'tailings-displacement-rate',
  title: 'Tailings dam displacement rate (GB 51108 §8.3)',
  description: 'Displacement change within a trailing window (mm per window), graded by design values.',
  source: RATE_SOURCE,
  kind: 'tailings',
  params: PresetBaseParamsSchema.extend(DisplacementRateItemParams.shape).strict(),
  build: (p) => ({ ...baseFields(p, 'Displacement rate', RATE_SOURCE), ...tailingsFields(p), item: displacementRateItem(p).item }),
});
