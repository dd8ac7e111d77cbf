import { type DeadLetter, getEnterprise, listDeadLetters } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { AUTHED_ERRORS } from '../schemas/error.js';
import { decodeNumberCursor, pageOf, toPage } from '../schemas/page.js';
import { EnterpriseParams } from '../schemas/registry.js';
import { DeadLetterQuerySchema, DeadLetterSchema } from '../schemas/telemetry.js';
import type { RouteContext } from './context.js';

/** Received times come with microseconds; the API speaks epoch milliseconds. */
const view = (d: DeadLetter) => ({ ...d, receivedAt: Math.round(d.receivedAt) });

/**
 * Messages ingest refused, with the reason and the raw payload, so an integrator can
 * fix a device. Per enterprise; messages no enterprise could be told for (bad topics)
 * only for admins.
 */
export const deadLetterRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/enterprises/:enterpriseId/dead-letters',
    {
      config: { roles: ROLES.deadLetters },
      schema: {
        tags: ['telemetry'],
        summary: 'Dead letters of an enterprise, newest first',
        params: EnterpriseParams,
        querystring: DeadLetterQuerySchema,
        response: { 200: pageOf(DeadLetterSchema), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      if (!(await getEnterprise(ctx.pool, scope, req.params.enterpriseId))) throw notFound('enterprise');
      const q = req.query;
      const rows = await listDeadLetters(ctx.pool, {
        enterpriseId: req.params.enterpriseId,
        reason: q.reason,
        beforeId: decodeNumberCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows.map(view), q.limit, (d) => d.id);
    },
  );

  app.get(
    '/dead-letters',
    {
      config: { roles: ROLES.admin },
      schema: {
        tags: ['telemetry'],
        summary: 'All dead letters, including those of no known enterprise (admin)',
        querystring: DeadLetterQuerySchema,
        response: { 200: pageOf(DeadLetterSchema), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listDeadLetters(ctx.pool, { reason: q.reason, beforeId: decodeNumberCursor(q.cursor), limit: q.limit + 1 });
      return toPage(rows.map(view), q.limit, (d) => d.id);
    },
  );
};
