import { EnterpriseIdSchema, HazardSourceIdSchema, type RuleDocumentInput, RuleIdSchema, type RuleKind } from '@hazardwatch/contracts';
import { z } from 'zod';

/** Parameters every preset takes: who the rule is for. */
export const PresetBaseParamsSchema = z.object({
  ruleId: RuleIdSchema,
  version: z.number().int().min(1).default(1),
  enterpriseId: EnterpriseIdSchema,
  hazardSourceId: HazardSourceIdSchema.nullable().default(null),
  /** Rule name shown on alarms; a preset supplies one when omitted. */
  name: z.string().min(1).max(200).optional(),
  enabled: z.boolean().default(true),
});
export type PresetBaseParams = z.infer<typeof PresetBaseParamsSchema>;

/** A rule template citing where its figures come from. */
export type PresetDefinition<S extends z.ZodType = z.ZodType> = {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Standard and clause the figures come from (or `policy` when they are a configurable choice). */
  readonly source: string;
  readonly kind: RuleKind;
  readonly params: S;
  readonly build: (params: z.infer<S>) => RuleDocumentInput;
};

/** Defines a preset with its parameter schema typed end to end. */
export function definePreset<S extends z.ZodType>(p: PresetDefinition<S>): PresetDefinition<S> {
  return p;
}

/** The document fields that come from the base parameters. */
export function baseFields(p: PresetBaseParams, defaultName: string, source: string) {
  return {
    id: p.ruleId,
    version: p.version,
    enterpriseId: p.enterpriseId,
    hazardSourceId: p.hazardSourceId,
    name: p.name ?? defaultName,
    enabled: p.enabled,
    source,
  };
}
