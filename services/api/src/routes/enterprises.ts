import { deleteEnterprise, getEnterprise, insertEnterprise, listEnterprises, updateEnterprise } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { ApiError, forbidden, invalid, notFound } from '../errors.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, pageOf, toPage } from '../schemas/page.js';
import { EnterpriseParams, EnterpriseView, RegistryListQuery } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

/** Enterprises: the tenants. Created and deleted by admins; a manager may edit its own (not its region). */
export const enterpriseRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/enterprises',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['registry'],
        summary: 'List enterprises in scope',
        querystring: RegistryListQuery,
        response: { 200: pageOf(EnterpriseView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const q = req.query;
      const rows = await listEnterprises(ctx.pool, scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (e) => e.id);
    },
  );

  app.post(
    '/enterprises',
    {
      config: { roles: ROLES.admin },
      schema: { tags: ['registry'], summary: 'Register an enterprise', body: EnterpriseView, response: { 201: EnterpriseView, ...WRITE_ERRORS } },
    },
    async (req, reply) => {
      await insertEnterprise(ctx.pool, req.body);
      const { scope } = accessOf(req);
      const created = await getEnterprise(ctx.pool, scope, req.body.id);
      if (!created) throw new ApiError('HW_API_INTERNAL', 'internal error');
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/enterprises/:enterpriseId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get an enterprise', params: EnterpriseParams, response: { 200: EnterpriseView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const e = await getEnterprise(ctx.pool, accessOf(req).scope, req.params.enterpriseId);
      if (!e) throw notFound('enterprise');
      return e;
    },
  );

  app.put(
    '/enterprises/:enterpriseId',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['registry'],
        summary: 'Replace an enterprise (only an admin may change its region code)',
        params: EnterpriseParams,
        body: EnterpriseView,
        response: { 200: EnterpriseView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      if (req.body.id !== req.params.enterpriseId) throw invalid('body.id', 'must equal the id in the path');
      const current = await getEnterprise(ctx.pool, scope, req.params.enterpriseId);
      if (!current) throw notFound('enterprise');
      // The region code decides which regulators see the enterprise: moving it is an admin's act.
      if (principal.role !== 'admin' && req.body.regionCode !== current.regionCode) throw forbidden('only an administrator may change the region code');
      if (!(await updateEnterprise(ctx.pool, scope, req.body))) throw notFound('enterprise');
      const updated = await getEnterprise(ctx.pool, scope, req.params.enterpriseId);
      if (!updated) throw notFound('enterprise');
      return updated;
    },
  );

  app.delete(
    '/enterprises/:enterpriseId',
    {
      config: { roles: ROLES.admin },
      schema: {
        tags: ['registry'],
        summary: 'Delete an enterprise and its register (refused while it has alarm history)',
        params: EnterpriseParams,
        response: { 204: z.null().describe('deleted'), ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await deleteEnterprise(ctx.pool, accessOf(req).scope, req.params.enterpriseId))) throw notFound('enterprise');
      return reply.status(204).send(null);
    },
  );
};
