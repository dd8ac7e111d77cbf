import { EnterpriseIdSchema, RegionPrefixSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { ENTERPRISE_ROLES, RoleSchema } from '../auth/principal.js';

const common = {
  name: z.string().min(1).max(200).describe('who or what holds the key (a person, a scraper, a platform link)'),
  expiresAt: z.number().int().nullable().optional().describe('epoch ms; omitted → 365 days from now; null → never (prefer an expiry and rotate)'),
};

/** Body of POST /api-keys: the role and its scope. */
export const NewApiKeySchema = z.discriminatedUnion('role', [
  z.object({ ...common, role: z.literal('admin') }).strict(),
  z.object({ ...common, role: z.enum(ENTERPRISE_ROLES), enterpriseId: EnterpriseIdSchema }).strict(),
  z.object({ ...common, role: z.literal('regulator'), regionPrefix: RegionPrefixSchema }).strict(),
]);
export type NewApiKey = z.infer<typeof NewApiKeySchema>;

/** A key as listed: never the key nor its hash. */
export const ApiKeyViewSchema = z
  .object({
    id: z.string().describe('public id of the key (the part after hwk_)'),
    name: z.string(),
    role: RoleSchema,
    enterpriseId: z.string().nullable(),
    regionPrefix: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.number().int(),
    expiresAt: z.number().int().nullable(),
    revokedAt: z.number().int().nullable(),
    revokedBy: z.string().nullable(),
    lastUsedAt: z.number().int().nullable(),
    bootstrap: z.boolean(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKeyView = z.infer<typeof ApiKeyViewSchema>;

/** Answer of POST /api-keys: the key, shown this once. */
export const CreatedApiKeySchema = z.object({ apiKey: ApiKeyViewSchema, key: z.string().describe('the secret key: shown once, store it now') });
