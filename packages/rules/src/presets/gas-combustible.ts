import { ColourSchema, PointIdSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';

const SOURCE = 'GB/T 50493-2019 §5.5 (first level ≤ 25 %LEL, second level ≤ 50 %LEL; alarms latch as GB 16808 controllers do)';

/** A setpoint the standard caps: lower is allowed, higher is refused. */
const capped = (max: number) => z.number().positive().max(max, `GB/T 50493-2019 §5.5 allows at most ${max} %LEL`).default(max);

/**
 * Combustible gas detector, two levels, latching (GB/T 50493-2019 §5.5). The standard caps the
 * setpoints (first ≤ 25 %LEL, second ≤ 50 %LEL): lower ones are accepted, higher ones refused.
 * Colours are the product's mapping (second level → red: it must reach the fire-control room).
 */
export const gasCombustiblePreset = definePreset({
  id: 'gas-combustible',
  title: 'Combustible gas detector (GB/T 50493)',
  description: 'Two-level %LEL alarm: first ≤ 25 %LEL, second ≤ 50 %LEL; latched until a person resets it once the gas is gone.',
  source: SOURCE,
  kind: 'threshold',
  params: PresetBaseParamsSchema.extend({
    pointId: PointIdSchema,
    firstLevelPctLel: capped(25),
    secondLevelPctLel: capped(50),
    /**
     * Hysteresis. The latch keeps the alarm open, but the condition's return to normal and its
     * comeback are announced (ISA-18.2 `latched`, then active again), so a reading hovering at a
     * setpoint would chatter without one. 2 %LEL (2 % of the 0–100 %LEL span, the ISA-18.2
     * starting figure for pressure) is a house default, not the standard's [policy].
     */
    deadbandPctLel: z.number().min(0).max(10).default(2),
    firstColour: ColourSchema.default('orange'),
    secondColour: ColourSchema.default('red'),
  })
    .strict()
    .refine((p) => p.secondLevelPctLel > p.firstLevelPctLel, { message: 'the second level must be above the first', path: ['secondLevelPctLel'] }),
  build: (p) => ({
    ...baseFields(p, `Combustible gas point ${p.pointId}`, SOURCE),
    kind: 'threshold',
    category: 'process',
    pointId: p.pointId,
    latching: true,
    deadband: p.deadbandPctLel,
    levels: [
      { name: 'FIRST', colour: p.firstColour, side: 'high', setpoint: p.firstLevelPctLel },
      { name: 'SECOND', colour: p.secondColour, side: 'high', setpoint: p.secondLevelPctLel },
    ],
  }),
});
