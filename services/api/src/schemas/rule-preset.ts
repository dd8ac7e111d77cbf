import { EnterpriseIdSchema, HazardSourceIdSchema, PointIdSchema, RULE_KINDS, RuleIdSchema, VehicleIdSchema } from '@hazardwatch/contracts';
import { z } from 'zod';

/**
 * Fields of a preset's parameters that say what the rule watches. They are sent beside
 * `params` (so every preset is instantiated the same way), and the list of presets says which
 * ones each preset takes.
 */
export const PRESET_TARGET_FIELDS = ['hazardSourceId', 'pointId', 'pointIds', 'vehicleId'] as const;
export type PresetTargetField = (typeof PRESET_TARGET_FIELDS)[number];

/** Fields of a preset's parameters that the route sets itself (from the body, or version 1). */
export const PRESET_OWN_FIELDS = ['ruleId', 'enterpriseId', 'version'] as const;

export const PresetView = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    source: z.string().describe('standard and clause the figures come from (`policy` where they are a configurable choice)'),
    kind: z.enum(RULE_KINDS),
    target: z
      .array(z.object({ field: z.enum(PRESET_TARGET_FIELDS), required: z.boolean() }))
      .describe('what the rule watches: fields of the instantiation body besides `params`'),
    paramsSchema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of `params` in POST /rules/from-preset; defaults shown'),
  })
  .meta({ id: 'RulePreset' });
export type PresetView = z.infer<typeof PresetView>;

export const PresetListView = z.object({ items: z.array(PresetView) });

export const FromPresetBody = z
  .object({
    presetId: z.string().min(1).max(100).describe('a preset id from GET /rule-presets'),
    ruleId: RuleIdSchema,
    enterpriseId: EnterpriseIdSchema,
    hazardSourceId: HazardSourceIdSchema.nullable().optional().describe('default: the hazard source of the (first) point'),
    pointId: PointIdSchema.optional(),
    pointIds: z.array(PointIdSchema).min(1).max(200).optional(),
    vehicleId: VehicleIdSchema.nullable().optional().describe('vehicle presets: one vehicle, or null for every vehicle of the enterprise'),
    params: z.record(z.string(), z.unknown()).default({}).describe('the preset’s parameters (its `paramsSchema`)'),
    note: z.string().max(1000).optional().describe('why (kept with the version)'),
  })
  .strict()
  .meta({ id: 'RuleFromPreset' });
