import {
  AlarmCategorySchema,
  AlarmEventSchema,
  AlarmSchema,
  AlarmStateSchema,
  ColourSchema,
  EnterpriseIdSchema,
  HazardSourceIdSchema,
  RegionPrefixSchema,
  VehicleIdSchema,
} from '@hazardwatch/contracts';
import { z } from 'zod';
import { QueryTimeSchema } from './time.js';

export const AlarmView = AlarmSchema.meta({ id: 'Alarm' });
export const AlarmEventView = AlarmEventSchema.meta({ id: 'AlarmEvent' });

/** `a,b,c` in a query string, each checked against `item`. */
function csvOf<T extends z.ZodType<string, string>>(item: T) {
  return z
    .string()
    .max(500)
    .transform((s) => s.split(',').filter((x) => x.length > 0))
    .pipe(z.array(item).min(1));
}

export const AlarmListQuery = z.object({
  enterpriseId: EnterpriseIdSchema.optional(),
  region: RegionPrefixSchema.optional(),
  hazardSourceId: HazardSourceIdSchema.optional(),
  vehicleId: VehicleIdSchema.optional(),
  ruleId: z.string().min(1).max(100).optional(),
  state: csvOf(AlarmStateSchema).optional().describe('comma-separated states'),
  colour: csvOf(ColourSchema).optional().describe('comma-separated colours (severity)'),
  category: csvOf(AlarmCategorySchema).optional(),
  open: z.enum(['true', 'false']).optional().describe('true: open alarms only; false: closed (history) only'),
  from: QueryTimeSchema.optional().describe('raised at or after'),
  to: QueryTimeSchema.optional().describe('raised before'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AlarmParams = z.object({ alarmId: z.string().min(1).max(200) });

export const ActionResultSchema = z.object({
  alarm: AlarmView,
  events: z.array(AlarmEventView).describe('events this action stored (or, for a repeated Idempotency-Key, stored the first time)'),
  duplicate: z.boolean().describe('true when the Idempotency-Key was seen before: nothing new was stored'),
});

/** `Idempotency-Key`: a retried action with the same key stores its event once. */
export const ActionHeaders = z.looseObject({
  'idempotency-key': z.string().min(1).max(100).optional().describe('a client-chosen key; a retry with the same key is not applied twice'),
});

const Reason = z.string().min(1).max(1000);
export const ACTION_BODIES = {
  acknowledge: z.object({ comment: Reason.optional() }).strict(),
  comment: z.object({ text: Reason }).strict(),
  shelve: z.object({ durationMs: z.number().int().positive(), reason: Reason }).strict(),
  unshelve: z.object({ reason: Reason.optional() }).strict(),
  reset: z.object({ reason: Reason.optional() }).strict(),
  removeFromService: z.object({ reason: Reason }).strict(),
  returnToService: z.object({ reason: Reason.optional() }).strict(),
  suppress: z.object({ reason: Reason }).strict(),
  unsuppress: z.object({ reason: Reason.optional() }).strict(),
};

export const KpiQuery = z
  .object({
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    enterpriseId: EnterpriseIdSchema.optional(),
    region: RegionPrefixSchema.optional(),
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] })
  .refine((q) => q.to - q.from <= 31 * 86_400_000, { message: 'at most 31 days per request', path: ['to'] });

/** The main figures are typed here; the rest of `computeAlarmKpis`' answer passes as it is (see @hazardwatch/alarms). */
export const KpiResponse = z
  .looseObject({
    window: z.object({ from: z.number(), to: z.number() }),
    annunciated: z.number().int(),
    activations: z.number().int(),
    rate: z.looseObject({ averagePerWindow: z.number(), peakPerWindow: z.number() }),
    floods: z.looseObject({ percentTimeInFlood: z.number(), withinTarget: z.boolean() }),
  })
  .meta({ id: 'AlarmKpis' });
