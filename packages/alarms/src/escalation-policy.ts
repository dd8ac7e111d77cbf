import { type Colour, EscalationTierSchema, RegionCodeSchema, RegionPrefixSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { AlarmError } from './errors.js';

const MIN = 60_000;

/**
 * How one colour escalates: every `escalateAfterMs` without an acknowledgement the
 * next tier up is told, up to `highestTier`; meanwhile the tier told last gets a
 * reminder every `reminderEveryMs`.
 */
export const ColourEscalationSchema = z
  .object({
    escalateAfterMs: z.number().int().positive(),
    reminderEveryMs: z.number().int().positive(),
    /** The highest tier this colour may reach; `enterprise` = never leaves the enterprise (reminders only). */
    highestTier: EscalationTierSchema,
  })
  .strict();
export type ColourEscalation = z.infer<typeof ColourEscalationSchema>;

/** One {@link ColourEscalation} per warning colour. */
export const ColourEscalationsSchema = z
  .object({ red: ColourEscalationSchema, orange: ColourEscalationSchema, yellow: ColourEscalationSchema, blue: ColourEscalationSchema })
  .strict();
export type ColourEscalations = z.infer<typeof ColourEscalationsSchema>;

/**
 * House defaults. No national standard fixes these times: how long an alarm may stay
 * unhandled before the next tier is told differs by province (domain.md, [unconfirmed]).
 * Every figure is configuration; a province's own figures belong in `regions`, with
 * the document they come from in `source`.
 * - red (urgent): the next tier every 5 min, up to the province; reminders every 5 min.
 * - orange (high): every 15 min, up to the province; reminders every 15 min.
 * - yellow (medium): every 30 min, up to the county; reminders every 30 min.
 * - blue (low): stays with the enterprise; a reminder every hour.
 */
export const DEFAULT_COLOUR_ESCALATIONS: ColourEscalations = Object.freeze({
  red: { escalateAfterMs: 5 * MIN, reminderEveryMs: 5 * MIN, highestTier: 'province' },
  orange: { escalateAfterMs: 15 * MIN, reminderEveryMs: 15 * MIN, highestTier: 'province' },
  yellow: { escalateAfterMs: 30 * MIN, reminderEveryMs: 30 * MIN, highestTier: 'county' },
  blue: { escalateAfterMs: 60 * MIN, reminderEveryMs: 60 * MIN, highestTier: 'enterprise' },
});

/** Overrides for enterprises whose region code starts with `regionPrefix`; any field of any colour may be left out. */
export const RegionEscalationSchema = z
  .object({
    regionPrefix: RegionPrefixSchema,
    /** Where the figures come from (a provincial notice), for the audit trail. */
    source: z.string().max(500).optional(),
    colours: z
      .object({
        red: ColourEscalationSchema.partial().optional(),
        orange: ColourEscalationSchema.partial().optional(),
        yellow: ColourEscalationSchema.partial().optional(),
        blue: ColourEscalationSchema.partial().optional(),
      })
      .strict(),
  })
  .strict();
export type RegionEscalation = z.infer<typeof RegionEscalationSchema>;

/**
 * The escalation policy: defaults, and overrides per region prefix. For each colour
 * and each field the longest matching prefix that sets it wins, then shorter ones,
 * then the defaults: a province may set its times and a city change only one of them.
 */
export const EscalationPolicySchema = z
  .object({
    defaults: ColourEscalationsSchema.default(DEFAULT_COLOUR_ESCALATIONS),
    regions: z.array(RegionEscalationSchema).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.regions.forEach((r, i) => {
      if (seen.has(r.regionPrefix))
        ctx.addIssue({ code: 'custom', path: ['regions', i, 'regionPrefix'], message: `region prefix ${r.regionPrefix} appears twice` });
      seen.add(r.regionPrefix);
    });
  });
export type EscalationPolicy = z.infer<typeof EscalationPolicySchema>;

/** The policy with the house defaults and no regional overrides. */
export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = Object.freeze(EscalationPolicySchema.parse({}));

/**
 * The escalation that applies to an alarm of `colour` at an enterprise in
 * `regionCode` (6 digits; throws `HW_DISPATCH_BAD_REGION_CODE` otherwise).
 */
export function resolveEscalation(policy: EscalationPolicy, regionCode: string, colour: Colour): ColourEscalation {
  if (!RegionCodeSchema.safeParse(regionCode).success)
    throw new AlarmError('HW_DISPATCH_BAD_REGION_CODE', 'the enterprise region code must be 6 digits (GB/T 2260)');
  const matching = policy.regions.filter((r) => regionCode.startsWith(r.regionPrefix)).sort((a, b) => a.regionPrefix.length - b.regionPrefix.length);
  let resolved: ColourEscalation = { ...policy.defaults[colour] };
  // Shortest first, so longer prefixes overwrite: the longest match wins field by field.
  for (const r of matching) {
    const o = r.colours[colour];
    if (o)
      resolved = {
        escalateAfterMs: o.escalateAfterMs ?? resolved.escalateAfterMs,
        reminderEveryMs: o.reminderEveryMs ?? resolved.reminderEveryMs,
        highestTier: o.highestTier ?? resolved.highestTier,
      };
  }
  return resolved;
}
