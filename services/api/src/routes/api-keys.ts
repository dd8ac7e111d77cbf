import { type ApiKeyRecord, countActiveAdminKeys, getApiKey, getEnterprise, listApiKeys, revokeApiKey, shortenApiKeyExpiry } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeyView, createApiKey } from '../auth/keys.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { ApiKeyViewSchema, CreatedApiKeySchema, type NewApiKey, NewApiKeySchema } from '../schemas/api-key.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, PageQuerySchema, pageOf, toPage } from '../schemas/page.js';
import type { RouteContext } from './context.js';

const KeyParams = z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/, 'a key id is 16 hex characters') });
const ListQuery = PageQuerySchema.extend({
  includeRevoked: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  enterpriseId: z.string().optional(),
});
const RotateBody = z
  .object({
    graceMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .default(86_400_000)
      .describe('how long the old key keeps working (default 24 h)'),
    expiresAt: z.number().int().nullable().optional().describe('expiry of the new key (as at creation)'),
  })
  .strict();

/** Roles an enterprise manager may hand out or take back: its staff, never another manager or anything wider. */
const MANAGER_GRANTS = new Set(['operator', 'integrator']);

function mayGrant(p: Principal, k: NewApiKey): boolean {
  if (p.role === 'admin') return true;
  return p.role === 'enterprise_manager' && MANAGER_GRANTS.has(k.role) && 'enterpriseId' in k && k.enterpriseId === p.enterpriseId;
}

/** Whether `p` may revoke or rotate the key `k` (already known to be in its scope). */
function mayManage(p: Principal, k: ApiKeyRecord): boolean {
  return p.role === 'admin' || k.id === p.keyId || MANAGER_GRANTS.has(k.role);
}

/** The body of a key with the same role and scope as `k`, for a rotation. */
function sameGrant(k: ApiKeyRecord, expiresAt: number | null | undefined): NewApiKey {
  const base = { name: k.name, ...(expiresAt === undefined ? {} : { expiresAt }) };
  if (k.role === 'admin') return { ...base, role: 'admin' };
  if (k.role === 'regulator' && k.regionPrefix !== null) return { ...base, role: 'regulator', regionPrefix: k.regionPrefix };
  if ((k.role === 'enterprise_manager' || k.role === 'operator' || k.role === 'integrator') && k.enterpriseId !== null)
    return { ...base, role: k.role, enterpriseId: k.enterpriseId };
  throw new ApiError('HW_API_INTERNAL', 'internal error');
}

/** API keys: created (shown once), listed, rotated and revoked. See the README for rotation. */
export const apiKeyRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/api-keys',
    {
      config: { roles: ROLES.keys },
      schema: {
        tags: ['auth'],
        summary: 'List API keys in scope (never the keys)',
        querystring: ListQuery,
        response: { 200: pageOf(ApiKeyViewSchema), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listApiKeys(ctx.pool, accessOf(req).scope, {
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
        includeRevoked: q.includeRevoked,
        enterpriseId: q.enterpriseId,
      });
      return toPage(rows.map(apiKeyView), q.limit, (k) => k.id);
    },
  );

  app.post(
    '/api-keys',
    {
      config: { roles: ROLES.keys },
      schema: {
        tags: ['auth'],
        summary: 'Create an API key; the key is in this answer only',
        body: NewApiKeySchema,
        response: { 201: CreatedApiKeySchema, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const { principal, scope } = accessOf(req);
      if (!mayGrant(principal, req.body)) throw forbidden('an enterprise manager may only create operator and integrator keys of its own enterprise');
      if ('enterpriseId' in req.body && !(await getEnterprise(ctx.pool, scope, req.body.enterpriseId))) throw notFound('enterprise');
      const { record, key } = await createApiKey(ctx.pool, req.body, { createdBy: actorOf(principal), nowMs: ctx.clock.now() });
      return reply.status(201).send({ apiKey: apiKeyView(record), key });
    },
  );

  app.get(
    '/api-keys/:keyId',
    {
      config: { roles: ROLES.keys },
      schema: { tags: ['auth'], summary: 'Get an API key (never the key)', params: KeyParams, response: { 200: ApiKeyViewSchema, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const k = await getApiKey(ctx.pool, accessOf(req).scope, req.params.keyId);
      if (!k) throw notFound('API key');
      return apiKeyView(k);
    },
  );

  app.delete(
    '/api-keys/:keyId',
    {
      config: { roles: ROLES.keys },
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API key (at once; kept for audit)',
        params: KeyParams,
        response: { 200: ApiKeyViewSchema, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      const k = await getApiKey(ctx.pool, scope, req.params.keyId);
      if (!k) throw notFound('API key');
      if (!mayManage(principal, k)) throw forbidden('an enterprise manager may only revoke its own key and its staff’s keys');
      const now = ctx.clock.now();
      if (k.role === 'admin' && k.revokedAt === null && (await countActiveAdminKeys(ctx.pool, now)) <= 1)
        throw new ApiError('HW_API_CONFLICT', 'this is the last active admin key: create another one first');
      const revoked = await revokeApiKey(ctx.pool, scope, k.id, actorOf(principal), now);
      if (!revoked) throw notFound('API key');
      return apiKeyView(revoked);
    },
  );

  app.post(
    '/api-keys/:keyId/rotate',
    {
      config: { roles: ROLES.keys },
      schema: {
        tags: ['auth'],
        summary: 'Rotate: a new key with the same role and scope; the old one expires after a grace period',
        params: KeyParams,
        body: RotateBody,
        response: { 201: CreatedApiKeySchema, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const { principal, scope } = accessOf(req);
      const old = await getApiKey(ctx.pool, scope, req.params.keyId);
      if (!old) throw notFound('API key');
      if (!mayManage(principal, old)) throw forbidden('an enterprise manager may only rotate its own key and its staff’s keys');
      if (old.revokedAt !== null) throw new ApiError('HW_API_CONFLICT', 'the key is revoked; create a new one');
      const now = ctx.clock.now();
      const { record, key } = await createApiKey(ctx.pool, sameGrant(old, req.body.expiresAt), { createdBy: actorOf(principal), nowMs: now });
      await shortenApiKeyExpiry(ctx.pool, scope, old.id, now + req.body.graceMs);
      return reply.status(201).send({ apiKey: apiKeyView(record), key });
    },
  );
};
