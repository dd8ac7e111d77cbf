import { AlarmCategorySchema, PointIdSchema, ThresholdLevelSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';

/**
 * ANSI/ISA-18.2 (IEC 62682) starting deadbands (as a percentage of the instrument span) and
 * delays per process variable. Starting points for alarm rationalisation, not limits: each is a
 * parameter. The delay is applied as an on-delay; the off-delay defaults to none.
 */
export const ISA_STARTING_VALUES = {
  pressure: { deadbandPct: 2, delayMs: 15_000 },
  level: { deadbandPct: 5, delayMs: 60_000 },
  temperature: { deadbandPct: 1, delayMs: 60_000 },
  flow: { deadbandPct: 5, delayMs: 15_000 },
} as const;
export type ProcessVariable = keyof typeof ISA_STARTING_VALUES;

const SOURCE = (v: ProcessVariable) =>
  `ANSI/ISA-18.2 (IEC 62682) starting deadband and delay for ${v}: ${ISA_STARTING_VALUES[v].deadbandPct} % of span / ${ISA_STARTING_VALUES[v].delayMs / 1000} s`;

function processPreset(variable: ProcessVariable) {
  const start = ISA_STARTING_VALUES[variable];
  return definePreset({
    id: `process-${variable}`,
    title: `Process ${variable} alarm (ISA-18.2 starting values)`,
    description: `High/low levels from the process design, with the ISA-18.2 starting deadband (${start.deadbandPct} % of the instrument span) and on-delay (${start.delayMs / 1000} s).`,
    source: SOURCE(variable),
    kind: 'threshold',
    params: PresetBaseParamsSchema.extend({
      pointId: PointIdSchema,
      /** Instrument range, for the deadband as a percentage of span. */
      rangeMin: z.number().finite(),
      rangeMax: z.number().finite(),
      /** Setpoints come from the process design (H/HH, L/LL …). */
      levels: z.array(ThresholdLevelSchema).min(1),
      deadbandPct: z.number().min(0).max(50).default(start.deadbandPct),
      onDelayMs: z.number().int().min(0).default(start.delayMs),
      offDelayMs: z.number().int().min(0).default(0),
      latching: z.boolean().default(false),
      category: AlarmCategorySchema.default('process'),
    })
      .strict()
      .refine((p) => p.rangeMin < p.rangeMax, { message: 'rangeMin must be below rangeMax', path: ['rangeMax'] }),
    build: (p) => ({
      ...baseFields(p, `${variable[0]?.toUpperCase()}${variable.slice(1)} point ${p.pointId}`, SOURCE(variable)),
      kind: 'threshold',
      category: p.category,
      pointId: p.pointId,
      levels: p.levels,
      deadband: ((p.rangeMax - p.rangeMin) * p.deadbandPct) / 100,
      onDelayMs: p.onDelayMs,
      offDelayMs: p.offDelayMs,
      latching: p.latching,
    }),
  });
}

export const processPressurePreset = processPreset('pressure');
export const processLevelPreset = processPreset('level');
export const processTemperaturePreset = processPreset('temperature');
export const processFlowPreset = processPreset('flow');
