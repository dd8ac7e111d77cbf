import { z } from 'zod';
import { AlarmEventTypeSchema } from './alarm.js';
import { EnterpriseIdSchema, RegionPrefixSchema } from './ids.js';
import { ColourSchema } from './severity.js';

/**
 * The tiers an alarm climbs when nobody acknowledges it, lowest first
 * (domain.md "Regulators": enterprise → park → county → city → province).
 */
export const EscalationTierSchema = z.enum(['enterprise', 'park', 'county', 'city', 'province']);
export type EscalationTier = z.infer<typeof EscalationTierSchema>;

/** Every tier in climbing order; the index is the rank used for comparisons. */
export const ESCALATION_TIERS: readonly EscalationTier[] = EscalationTierSchema.options;

/**
 * Who a target hears about: one enterprise (its control room), or every enterprise
 * whose GB/T 2260 region code starts with the prefix (a regulator: 37 = a province,
 * 3703 = a city, 370321 = a county).
 */
export const DispatchScopeSchema = z.union([z.object({ enterpriseId: EnterpriseIdSchema }).strict(), z.object({ regionPrefix: RegionPrefixSchema }).strict()]);
export type DispatchScope = z.infer<typeof DispatchScopeSchema>;

/**
 * The signing secret. It is write-only: accepted when a target is created or
 * rotated, stored, used to sign, and never returned by the API or logged
 * (`secret` is in the logger's redact paths). 32 characters at least so an
 * attacker cannot guess it.
 */
export const DispatchSecretSchema = z.string().min(32).max(256).describe('HMAC-SHA256 signing secret (write-only)');

/** Fields shared by the stored target, the create body and the public view. */
const DispatchTargetFields = z
  .object({
    id: z.string().min(1).max(100),
    name: z.string().min(1).max(200),
    /** Where deliveries are POSTed. https only, unless `allowInsecureHttp` (local tests). */
    url: z.url({ protocol: /^https?$/ }).max(2000),
    /** Allow an `http:` URL. Only for local receivers in tests: the body is then readable on the wire. */
    allowInsecureHttp: z.boolean().default(false),
    scope: DispatchScopeSchema,
    /** Events less severe than this are not delivered; events without a colour (enterprise offline) always are. */
    minColour: ColourSchema.default('blue'),
    /** Which event types this target wants (e.g. only `raised` and `escalated`). */
    eventTypes: z
      .array(AlarmEventTypeSchema)
      .min(1)
      .refine((types) => new Set(types).size === types.length, { message: 'event types must not repeat' }),
    enabled: z.boolean().default(true),
  })
  .strict();

function checkUrl(t: { url: string; allowInsecureHttp: boolean }, ctx: z.RefinementCtx): void {
  // The field's own check has reported an unparseable URL already.
  if (!URL.canParse(t.url)) return;
  const url = new URL(t.url);
  if (url.protocol === 'http:' && !t.allowInsecureHttp)
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'the URL must be https (http only with allowInsecureHttp, for local tests)' });
  // Credentials in the URL would be stored and shown in clear; the signature authenticates us instead.
  if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', path: ['url'], message: 'the URL must not carry a user name or password' });
}

/** A dispatch target as stored (with its secret). Only dispatch reads the secret. */
export const DispatchTargetSchema = DispatchTargetFields.extend({ secret: DispatchSecretSchema }).superRefine(checkUrl);
export type DispatchTarget = z.infer<typeof DispatchTargetSchema>;

/** Body of a create request: the server assigns the id. */
export const NewDispatchTargetSchema = DispatchTargetFields.omit({ id: true }).extend({ secret: DispatchSecretSchema }).superRefine(checkUrl);
export type NewDispatchTarget = z.infer<typeof NewDispatchTargetSchema>;

/** What the API returns about a target: never the secret. */
export const DispatchTargetViewSchema = DispatchTargetFields;
export type DispatchTargetView = z.infer<typeof DispatchTargetViewSchema>;
