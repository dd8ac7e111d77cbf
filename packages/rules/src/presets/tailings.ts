import { DamTypeSchema, PointIdSchema, TailingsEscalationSchema, TailingsGradesSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';
import { GB50863_MIN_BEACH_M, GB50863_MIN_FREEBOARD_M, minimumFor } from './tailings-minimums.js';

const HOUR_MS = 3_600_000;

const tailingsBase = PresetBaseParamsSchema.extend({
  pointIds: z.array(PointIdSchema).min(1),
  /** Hysteresis to leave a grade, in the item's unit. */
  deadband: z.number().min(0).default(0),
  /** Multi-point aggregation policy (GB 39496-2020 §5.5.4): defaults 4 blue → yellow, 3 yellow → orange, 2 orange → red. */
  escalation: TailingsEscalationSchema.optional(),
});
const DamSchema = z.object({ grade: z.number().int().min(1).max(5), type: DamTypeSchema }).strict();
const optionalValue = z.number().finite().nullable().default(null);

const tailingsFields = (p: z.infer<typeof tailingsBase>) => ({
  kind: 'tailings' as const,
  category: 'dam' as const,
  pointIds: p.pointIds,
  deadband: p.deadband,
  ...(p.escalation ? { escalation: p.escalation } : {}),
});

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
  params: tailingsBase
    .extend({
      dam: DamSchema,
      crestElevationM: z.number().finite(),
      /** Overrides the table's minimum (required where the product has none). */
      redM: z.number().positive().optional(),
      /** From the dam's flood-routing capacity (design data). */
      orangeM: optionalValue,
      yellowM: optionalValue,
      blueM: optionalValue,
    })
    .strict()
    .superRefine((p, ctx) => {
      if (p.redM === undefined && minimumFor(GB50863_MIN_FREEBOARD_M, p.dam.type, p.dam.grade) === null)
        ctx.addIssue({
          code: 'custom',
          path: ['redM'],
          message: `no GB 50863 minimum freeboard is known here for a ${p.dam.type} dam: give redM from the design`,
        });
    }),
  build: (p) => ({
    ...baseFields(p, 'Freeboard', FREEBOARD_SOURCE),
    ...tailingsFields(p),
    item: {
      measure: 'freeboard',
      crestElevationM: p.crestElevationM,
      grades: { red: p.redM ?? minimumFor(GB50863_MIN_FREEBOARD_M, p.dam.type, p.dam.grade), orange: p.orangeM, yellow: p.yellowM, blue: p.blueM },
    },
  }),
});

const BEACH_SOURCE = 'GB 51108-2015 §8.3: dry beach red = the GB 50863-2013 minimum length for the dam grade and type [unconfirmed figures, overridable]';

export const tailingsBeachPreset = definePreset({
  id: 'tailings-beach',
  title: 'Tailings dam dry beach length (GB 51108 §8.3)',
  description: 'Dry beach length graded against the GB 50863 minimum for the dam grade and type (red) and design values for the other colours.',
  source: BEACH_SOURCE,
  kind: 'tailings',
  params: tailingsBase
    .extend({
      dam: DamSchema,
      redM: z.number().positive().optional(),
      orangeM: optionalValue,
      yellowM: optionalValue,
      blueM: optionalValue,
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Dry beach length', BEACH_SOURCE),
    ...tailingsFields(p),
    item: {
      measure: 'beach_length',
      grades: { red: p.redM ?? minimumFor(GB50863_MIN_BEACH_M, p.dam.type, p.dam.grade), orange: p.orangeM, yellow: p.yellowM, blue: p.blueM },
    },
  }),
});

const PHREATIC_SOURCE = 'GB 51108-2015 §8.3 and commentary: phreatic line red = the design minimum burial depth, orange = 1.1 × red';

/** Phreatic line burial depth: shallower is worse. Red = design minimum burial depth, orange = 1.1 × red. */
export const tailingsPhreaticPreset = definePreset({
  id: 'tailings-phreatic',
  title: 'Tailings dam phreatic line depth (GB 51108 §8.3)',
  description: 'Phreatic line burial depth: red at the design minimum burial depth, orange at 1.1 × that depth; yellow/blue optional design values.',
  source: PHREATIC_SOURCE,
  kind: 'tailings',
  params: tailingsBase
    .extend({
      designMinBurialDepthM: z.number().positive(),
      orangeFactor: z.number().min(1).max(3).default(1.1),
      yellowM: optionalValue,
      blueM: optionalValue,
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Phreatic line depth', PHREATIC_SOURCE),
    ...tailingsFields(p),
    item: {
      measure: 'phreatic_depth',
      grades: { red: p.designMinBurialDepthM, orange: p.designMinBurialDepthM * p.orangeFactor, yellow: p.yellowM, blue: p.blueM },
    },
  }),
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
  params: tailingsBase
    .extend({
      reading: z.enum(['increment', 'cumulative']).default('increment'),
      oneHour: TailingsGradesSchema.nullable().default(null),
      twelveHours: TailingsGradesSchema.default({ blue: null, yellow: 30, orange: null, red: null }),
      twentyFourHours: TailingsGradesSchema.default({ blue: null, yellow: 50, orange: null, red: null }),
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Rainfall', RAIN_SOURCE),
    ...tailingsFields(p),
    item: {
      measure: 'rainfall',
      reading: p.reading,
      windows: [
        ...(p.oneHour ? [{ windowMs: HOUR_MS, grades: p.oneHour }] : []),
        { windowMs: 12 * HOUR_MS, grades: p.twelveHours },
        { windowMs: 24 * HOUR_MS, grades: p.twentyFourHours },
      ],
    },
  }),
});

const DISPLACEMENT_SOURCE = 'GB 51108-2015 §8.3 and commentary: displacement values set per dam; landslide displacement orange = 80 % of red';

export const tailingsDisplacementPreset = definePreset({
  id: 'tailings-displacement',
  title: 'Tailings dam displacement (GB 51108 §8.3)',
  description: 'Accumulated displacement against the design red value; orange at 80 % of red unless given; yellow/blue optional.',
  source: DISPLACEMENT_SOURCE,
  kind: 'tailings',
  params: tailingsBase
    .extend({
      redMm: z.number().positive(),
      orangeMm: z.number().positive().optional(),
      yellowMm: optionalValue,
      blueMm: optionalValue,
    })
    .strict(),
  build: (p) => ({
    ...baseFields(p, 'Displacement', DISPLACEMENT_SOURCE),
    ...tailingsFields(p),
    item: { measure: 'displacement', grades: { red: p.redMm, orange: p.orangeMm ?? 0.8 * p.redMm, yellow: p.yellowMm, blue: p.blueMm } },
  }),
});

const RATE_SOURCE = 'GB 51108-2015 §8.3: displacement rates set per dam (no fixed values)';

export const tailingsDisplacementRatePreset = definePreset({
  id: 'tailings-displacement-rate',
  title: 'Tailings dam displacement rate (GB 51108 §8.3)',
  description: 'Displacement change within a trailing window (mm per window), graded by design values.',
  source: RATE_SOURCE,
  kind: 'tailings',
  params: tailingsBase.extend({ windowMs: z.number().int().positive(), grades: TailingsGradesSchema }).strict(),
  build: (p) => ({
    ...baseFields(p, 'Displacement rate', RATE_SOURCE),
    ...tailingsFields(p),
    item: { measure: 'displacement_rate', windowMs: p.windowMs, grades: p.grades },
  }),
});
