import { EnterpriseIdSchema, HazardSourceIdSchema, RegionPrefixSchema, RuleDocumentSchema, RuleIdSchema, VehicleIdSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { PageQuerySchema } from './page.js';

/** A rule document (every kind, discriminated on `kind`), as sent and as stored. */
export const RuleDocumentView = RuleDocumentSchema.meta({ id: 'RuleDocument' });

const Note = z.string().max(1000).describe('why (kept with the version)');

export const NewRuleBody = z.object({ rule: RuleDocumentView, note: Note.optional() }).strict();
export const RuleVersionBody = z
  .object({
    rule: RuleDocumentView,
    expectedVersion: z.number().int().positive().optional().describe('the version the change was made from; refused (409) when the rule moved on'),
    note: Note.optional(),
  })
  .strict();
export const EnableBody = z.object({ expectedVersion: z.number().int().positive().optional(), note: Note.optional() }).strict();

const versionFields = {
  ruleId: z.string(),
  version: z.number().int(),
  rule: RuleDocumentView,
  changedBy: z.string(),
  changedAt: z.number().int(),
  changeNote: z.string().nullable(),
};
export const RuleVersionView = z.object(versionFields).meta({ id: 'RuleVersion' });
export const StoredRuleView = z
  .object({ ...versionFields, partitionKey: z.string(), createdAt: z.number().int(), updatedAt: z.number().int() })
  .meta({ id: 'Rule' });

export const RuleParams = z.object({ ruleId: RuleIdSchema });
export const RuleVersionParams = RuleParams.extend({ version: z.coerce.number().int().positive() });

export const RuleListQuery = PageQuerySchema.extend({
  enterpriseId: EnterpriseIdSchema.optional(),
  region: RegionPrefixSchema.optional(),
  hazardSourceId: HazardSourceIdSchema.optional(),
  vehicleId: VehicleIdSchema.optional(),
  kind: z.string().min(1).max(40).optional(),
  enabled: z.enum(['true', 'false']).optional(),
});

export const DiffQuery = z.object({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() });
export const RuleDiffView = z.object({
  from: RuleVersionView,
  to: RuleVersionView,
  changes: z.array(z.object({ path: z.string(), op: z.enum(['added', 'removed', 'changed']), before: z.unknown().optional(), after: z.unknown().optional() })),
});
