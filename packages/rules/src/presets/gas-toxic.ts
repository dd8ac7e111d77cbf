import { ColourSchema, PointIdSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';

const SOURCE = 'GB/T 50493-2019 §5.5 (toxic gas: first ≤ 100 % OEL, second ≤ 200 % OEL; without an OEL: 5 % / 10 % IDLH)';

/**
 * Toxic gas detector, two levels, latching (GB/T 50493-2019 §5.5): 100 % and 200 % of the
 * occupational exposure limit, or 5 % and 10 % of IDLH for a gas without an OEL. The limit is a
 * parameter in the detector's unit (ppm); the setpoints are the standard's maxima.
 */
export const gasToxicPreset = definePreset({
  id: 'gas-toxic',
  title: 'Toxic gas detector (GB/T 50493)',
  description: 'Two-level alarm at 100 % / 200 % of the OEL (or 5 % / 10 % of IDLH where no OEL exists); latched until reset.',
  source: SOURCE,
  kind: 'threshold',
  params: PresetBaseParamsSchema.extend({
    pointId: PointIdSchema,
    exposureLimit: z.discriminatedUnion('basis', [
      z.object({ basis: z.literal('oel'), oelPpm: z.number().positive('the OEL must be above 0') }).strict(),
      z.object({ basis: z.literal('idlh'), idlhPpm: z.number().positive('IDLH must be above 0') }).strict(),
    ]),
    /**
     * Hysteresis against chattering of the announced return to normal (the latch no longer hides
     * it). Default: 10 % of the first level, a house default [policy].
     */
    deadbandPpm: z.number().min(0).optional(),
    firstColour: ColourSchema.default('orange'),
    secondColour: ColourSchema.default('red'),
  }).strict(),
  build: (p) => {
    const [first, second] =
      p.exposureLimit.basis === 'oel' ? [p.exposureLimit.oelPpm, 2 * p.exposureLimit.oelPpm] : [0.05 * p.exposureLimit.idlhPpm, 0.1 * p.exposureLimit.idlhPpm];
    return {
      ...baseFields(p, `Toxic gas point ${p.pointId}`, SOURCE),
      kind: 'threshold',
      category: 'process',
      pointId: p.pointId,
      latching: true,
      deadband: p.deadbandPpm ?? 0.1 * first,
      levels: [
        { name: 'FIRST', colour: p.firstColour, side: 'high', setpoint: first },
        { name: 'SECOND', colour: p.secondColour, side: 'high', setpoint: second },
      ],
    };
  },
});
