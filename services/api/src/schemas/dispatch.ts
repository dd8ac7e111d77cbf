import {
  AlarmEventTypeSchema,
  ColourSchema,
  DispatchScopeSchema,
  DispatchSecretSchema,
  DispatchTargetViewSchema,
  EnterpriseIdSchema,
  NewDispatchTargetSchema,
} from '@hazardwatch/contracts';
import { z } from 'zod';
import { PageQuerySchema } from './page.js';

export const NewTargetBody = NewDispatchTargetSchema.meta({ id: 'NewDispatchTarget' });
export const TargetView = DispatchTargetViewSchema.meta({ id: 'DispatchTarget' });

const fields = DispatchTargetViewSchema.shape;
/** Fields a PATCH may change; absent ones keep their value (no defaults here, unlike the create body). */
export const TargetPatchBody = z
  .object({
    name: fields.name.optional(),
    url: fields.url.optional(),
    allowInsecureHttp: z.boolean().optional(),
    scope: DispatchScopeSchema.optional(),
    minColour: ColourSchema.optional(),
    eventTypes: z.array(AlarmEventTypeSchema).min(1).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const SecretBody = z.object({ secret: DispatchSecretSchema }).strict();
export const TargetParams = z.object({ targetId: z.string().min(1).max(100) });
export const TargetListQuery = PageQuerySchema.extend({
  enabled: z.enum(['true', 'false']).optional(),
  enterpriseId: EnterpriseIdSchema.optional().describe('targets of this enterprise (control rooms) only'),
});
export const DeliveryListQuery = PageQuerySchema.extend({ status: z.enum(['dead']).optional().describe('only dead-lettered deliveries') });
export const ReplayBody = z
  .object({ ids: z.array(z.number().int().positive()).min(1).max(1000).optional().describe('dead deliveries of this target; all of them when absent') })
  .strict();

const AttemptView = z.object({
  chain: z.number().int(),
  attempt: z.number().int(),
  startedAt: z.number(),
  latencyMs: z.number(),
  outcome: z.enum(['delivered', 'http_error', 'timeout', 'network_error']),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  retryAt: z.number().nullable(),
  dead: z.boolean(),
});
export const DeliveryView = z
  .object({
    id: z.number().int(),
    eventId: z.string(),
    eventSeq: z.number().int(),
    eventType: AlarmEventTypeSchema,
    alarmId: z.string(),
    enterpriseId: z.string(),
    regionCode: z.string(),
    targetId: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']),
    chain: z.number().int(),
    attempts: z.number().int(),
    chainAttempts: z.number().int(),
    nextAttemptAt: z.number().nullable(),
    lastAttemptAt: z.number().nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.number().nullable(),
    deadAt: z.number().nullable(),
    deadReason: z.enum(['not_retryable', 'attempts_exhausted', 'target_disabled']).nullable(),
    replayedAt: z.number().nullable(),
    replayedBy: z.string().nullable(),
    createdAt: z.number(),
    attemptLog: z.array(AttemptView).optional(),
  })
  .meta({ id: 'Delivery' });
export const ReplayResult = z.object({ requeued: z.number().int().describe('dead deliveries put back to pending (dispatch sends them again)') });
