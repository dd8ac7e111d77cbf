import { AlarmTransitionSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { RuleDocumentView } from './rule.js';
import { QueryTimeSchema } from './time.js';

export const BacktestBody = z
  .object({
    rule: RuleDocumentView.describe('the draft: any rule document, stored or not, evaluated even if disabled'),
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    tickMs: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .optional()
      .describe('evaluation step when no data arrives (deadlines fire at their own time anyway); default a minute, coarser for long ranges'),
  })
  .strict()
  .refine((b) => b.to > b.from, { message: 'to must be after from', path: ['to'] })
  .meta({ id: 'RuleBacktestRequest' });

export const BacktestView = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    tickMs: z.number().int(),
    readings: z.number().int().describe('stored readings of the rule’s points in the range'),
    positions: z.number().int().describe('stored positions of its vehicle (or fleet) in the range'),
    transitions: z.array(AlarmTransitionSchema).describe('what the rule would have decided, in order'),
    countsByLevel: z.record(z.string(), z.number().int()).describe('raises and level changes per level entered'),
    countsByColour: z.object({ red: z.number().int(), orange: z.number().int(), yellow: z.number().int(), blue: z.number().int() }),
  })
  .meta({ id: 'RuleBacktest' });
