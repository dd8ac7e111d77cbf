import { ColourSchema, PointIdSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';

const SOURCE = 'GB/T 50493-2019 §5.5 (oxygen: low alarm 19.5 %VOL, high alarm 23.5 %VOL)';

/** Oxygen detector: deficiency below 19.5 %VOL, enrichment above 23.5 %VOL (GB/T 50493-2019 §5.5), latching. */
export const gasOxygenPreset = definePreset({
  id: 'gas-oxygen',
  title: 'Oxygen detector (GB/T 50493)',
  description: 'Low alarm at 19.5 %VOL (deficiency) and high alarm at 23.5 %VOL (enrichment); latched until reset.',
  source: SOURCE,
  kind: 'threshold',
  params: PresetBaseParamsSchema.extend({
    pointId: PointIdSchema,
    /** Hysteresis against chattering of the announced return to normal; 0.2 %VOL is a house default [policy]. */
    deadbandPctVol: z.number().min(0).max(1).default(0.2),
    lowColour: ColourSchema.default('orange'),
    highColour: ColourSchema.default('orange'),
  }).strict(),
  build: (p) => ({
    ...baseFields(p, `Oxygen point ${p.pointId}`, SOURCE),
    kind: 'threshold',
    category: 'process',
    pointId: p.pointId,
    latching: true,
    deadband: p.deadbandPctVol,
    levels: [
      { name: 'LOW', colour: p.lowColour, side: 'low', setpoint: 19.5 },
      { name: 'HIGH', colour: p.highColour, side: 'high', setpoint: 23.5 },
    ],
  }),
});
