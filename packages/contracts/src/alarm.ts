import { z } from 'zod';
import { EnterpriseIdSchema, HazardSourceIdSchema, PointIdSchema, VehicleIdSchema } from './ids.js';
import { ColourSchema } from './severity.js';

/** Process alarms (the plant is in danger) are kept apart from fault alarms (the measurement is). */
export const AlarmCategorySchema = z.enum(['process', 'fault', 'interlock', 'dam', 'vehicle', 'offline']);
export type AlarmCategory = z.infer<typeof AlarmCategorySchema>;

/**
 * What the rule engine decides: a condition became active, changed level, or cleared.
 * `id` is deterministic (rule, version, subject, kind, time), so a retried job
 * produces the same id and storing it twice is a no-op.
 */
export const AlarmTransitionSchema = z.object({
  id: z.string().min(1).max(200),
  ruleId: z.string().min(1),
  ruleVersion: z.number().int().positive(),
  /** What the alarm is about: `point:12`, `vehicle:v-1`, `source:hs-1`, `rule:…`. One open alarm per (rule, subject). */
  subject: z.string().min(1).max(200),
  enterpriseId: EnterpriseIdSchema,
  hazardSourceId: HazardSourceIdSchema.nullable(),
  vehicleId: VehicleIdSchema.nullable(),
  pointIds: z.array(PointIdSchema),
  kind: z.enum(['raise', 'level', 'clear']),
  category: AlarmCategorySchema,
  /** Level name from the rule (e.g. `H`, `HH`, `L1`, `red`); null on clear. */
  level: z.string().nullable(),
  colour: ColourSchema.nullable(),
  /** The alarm must stay latched after the condition clears, until a person resets it. */
  latching: z.boolean(),
  value: z.number().nullable(),
  at: z.number().int(),
  message: z.string().max(500),
});
export type AlarmTransition = z.infer<typeof AlarmTransitionSchema>;

/** ISA-18.2 alarm states (ANSI/ISA-18.2-2016 §5, IEC 62682). */
export const AlarmStateSchema = z.enum([
  'normal',
  'active_unacknowledged',
  'active_acknowledged',
  'rtn_unacknowledged',
  'latched',
  'shelved',
  'suppressed',
  'out_of_service',
]);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

export const AlarmEventTypeSchema = z.enum([
  'raised',
  'level_changed',
  'returned_to_normal',
  'acknowledged',
  'commented',
  'shelved',
  'unshelved',
  'shelve_expired',
  'reset',
  'suppressed',
  'unsuppressed',
  'removed_from_service',
  'returned_to_service',
  'escalated',
  'enterprise_offline',
  'enterprise_online',
]);
export type AlarmEventType = z.infer<typeof AlarmEventTypeSchema>;

/**
 * One append-only alarm event: a transition from the engine or a person's action.
 * This is what the live stream and dispatch carry (the webhook body wraps it).
 */
export const AlarmEventSchema = z.object({
  id: z.string().min(1),
  /** Monotonic per database; the live stream's Last-Event-ID. */
  seq: z.number().int().nonnegative(),
  alarmId: z.string().min(1),
  type: AlarmEventTypeSchema,
  at: z.number().int(),
  actor: z.string().max(200),
  enterpriseId: EnterpriseIdSchema,
  regionCode: z.string(),
  hazardSourceId: HazardSourceIdSchema.nullable(),
  vehicleId: VehicleIdSchema.nullable(),
  ruleId: z.string().nullable(),
  subject: z.string(),
  category: AlarmCategorySchema,
  colour: ColourSchema.nullable(),
  level: z.string().nullable(),
  stateBefore: AlarmStateSchema.nullable(),
  stateAfter: AlarmStateSchema,
  value: z.number().nullable(),
  reason: z.string().max(1000).nullable(),
  message: z.string().max(500),
});
export type AlarmEvent = z.infer<typeof AlarmEventSchema>;

/** The alarm row: current state of one alarm (one open alarm per rule and subject). */
export const AlarmSchema = z.object({
  id: z.string(),
  ruleId: z.string().nullable(),
  subject: z.string(),
  enterpriseId: EnterpriseIdSchema,
  hazardSourceId: HazardSourceIdSchema.nullable(),
  vehicleId: VehicleIdSchema.nullable(),
  category: AlarmCategorySchema,
  state: AlarmStateSchema,
  conditionActive: z.boolean(),
  latching: z.boolean(),
  colour: ColourSchema,
  level: z.string().nullable(),
  value: z.number().nullable(),
  message: z.string(),
  raisedAt: z.number().int(),
  acknowledgedAt: z.number().int().nullable(),
  acknowledgedBy: z.string().nullable(),
  /**
   * When the alarm last began waiting for an acknowledgement (a raise, a more severe level
   * after an acknowledgement, a return from shelved/suppressed/out of service); null while
   * nothing awaits one. Escalation counts from here, not from `raisedAt`, so an alarm that
   * comes back from a shelve is not escalated at once for time it spent hidden.
   */
  unacknowledgedSince: z.number().int().nullable(),
  clearedAt: z.number().int().nullable(),
  shelvedUntil: z.number().int().nullable(),
  version: z.number().int(),
});
export type Alarm = z.infer<typeof AlarmSchema>;
