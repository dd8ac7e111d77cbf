import { z } from 'zod';
import { AlarmCategorySchema, AlarmEventTypeSchema, AlarmStateSchema } from './alarm.js';
import { EscalationTierSchema } from './dispatch.js';
import { ColourSchema, PrioritySchema } from './severity.js';

/**
 * HTTP headers of a webhook delivery. Receivers on Node see them lower-cased.
 * - signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`; during a
 *   secret rotation several `v1=` entries may appear, any one matching is enough.
 * - idempotencyKey: the event id (same as the body's `id`); a receiver drops repeats.
 */
export const WEBHOOK_HEADERS = {
  signature: 'X-Hazardwatch-Signature',
  idempotencyKey: 'Idempotency-Key',
  eventType: 'X-Hazardwatch-Event-Type',
  specVersion: 'X-Hazardwatch-Spec-Version',
} as const;

/** The body format version this build sends. Additive fields keep `1`; anything else is a new version. */
export const WEBHOOK_SPEC_VERSION = '1';

/** The alarm as it stands after the event. */
export const WebhookAlarmV1Schema = z.object({
  id: z.string().min(1),
  ruleId: z.string().nullable(),
  subject: z.string(),
  category: AlarmCategorySchema,
  colour: ColourSchema.nullable(),
  /** ISA-18.2 priority of `colour` (the one mapping in severity.ts). */
  priority: PrioritySchema.nullable(),
  /** 4 red … 1 blue, for sorting. */
  severity: z.number().int().min(1).max(4).nullable(),
  level: z.string().nullable(),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema.nullable(),
  value: z.number().nullable(),
  message: z.string(),
  hazardSourceId: z.string().nullable(),
  vehicleId: z.string().nullable(),
});
export type WebhookAlarmV1 = z.infer<typeof WebhookAlarmV1Schema>;

/** Present on `escalated` events: which tier is told, at which step of the schedule. */
export const WebhookEscalationV1Schema = z.object({
  tier: EscalationTierSchema,
  /** 0 = the enterprise's own stage, 1 = first tier above it, … */
  stage: z.number().int().nonnegative(),
  /** 0 for the escalation itself, 1, 2, … for reminders within the stage. */
  reminder: z.number().int().nonnegative(),
  kind: z.enum(['escalation', 'reminder']),
});
export type WebhookEscalationV1 = z.infer<typeof WebhookEscalationV1Schema>;

/**
 * Webhook body, version 1: one alarm event. `id` is the event id and the
 * idempotency key; `seq` orders events (per database, so per alarm too).
 * Unknown fields must be ignored by receivers: v1 may grow, never change.
 */
export const WebhookBodyV1Schema = z.object({
  specVersion: z.literal(WEBHOOK_SPEC_VERSION),
  id: z.string().min(1),
  seq: z.number().int().nonnegative(),
  type: AlarmEventTypeSchema,
  /** When it happened, ISO-8601 UTC with milliseconds. */
  occurredAt: z.iso.datetime(),
  enterpriseId: z.string(),
  regionCode: z.string(),
  /** Who: a person's id, `engine` for rule transitions, `system` for timers. */
  actor: z.string(),
  reason: z.string().nullable(),
  alarm: WebhookAlarmV1Schema,
  escalation: WebhookEscalationV1Schema.nullable(),
});
export type WebhookBodyV1 = z.infer<typeof WebhookBodyV1Schema>;

/** Every body version a receiver may meet, told apart by `specVersion`. */
export const WebhookBodySchema = z.discriminatedUnion('specVersion', [WebhookBodyV1Schema]);
export type WebhookBody = z.infer<typeof WebhookBodySchema>;
