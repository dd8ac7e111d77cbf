import { currentRiskColours, getHazardSource, insertRiskAssessment, listRiskAssessments } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../auth/principal.js';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { AUTHED_ERRORS } from '../schemas/error.js';
import { decodeNumberCursor, PageQuerySchema, pageOf, toPage } from '../schemas/page.js';
import { HazardSourceParams } from '../schemas/registry.js';
import { CurrentRiskSchema, RiskAssessmentSchema, SetRiskBodySchema } from '../schemas/telemetry.js';
import type { RouteContext } from './context.js';

/**
 * Risk colour of a hazard source (红/橙/黄/蓝: 重大/较大/一般/低风险), set by the
 * enterprise, visible to its regulators; every change is kept.
 */
export const riskRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/hazard-sources/:hazardSourceId/risk',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['risk'], summary: 'Current risk colour', params: HazardSourceParams, response: { 200: CurrentRiskSchema, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const id = req.params.hazardSourceId;
      if (!(await getHazardSource(ctx.pool, scope, id))) throw notFound('hazard source');
      const current = (await currentRiskColours(ctx.pool, scope, [id])).get(id) ?? null;
      return { hazardSourceId: id, current };
    },
  );

  app.put(
    '/hazard-sources/:hazardSourceId/risk',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['risk'],
        summary: 'Set the risk colour (appends to the history)',
        params: HazardSourceParams,
        body: SetRiskBodySchema,
        response: { 200: RiskAssessmentSchema, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      const a = await insertRiskAssessment(ctx.pool, scope, {
        hazardSourceId: req.params.hazardSourceId,
        colour: req.body.colour,
        reason: req.body.reason,
        setBy: actorOf(principal),
        setAtMs: ctx.clock.now(),
      });
      if (!a) throw notFound('hazard source');
      return a;
    },
  );

  app.get(
    '/hazard-sources/:hazardSourceId/risk/history',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['risk'],
        summary: 'Risk colour history, newest first',
        params: HazardSourceParams,
        querystring: PageQuerySchema,
        response: { 200: pageOf(RiskAssessmentSchema), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const id = req.params.hazardSourceId;
      if (!(await getHazardSource(ctx.pool, scope, id))) throw notFound('hazard source');
      const rows = await listRiskAssessments(ctx.pool, scope, {
        hazardSourceId: id,
        beforeId: decodeNumberCursor(req.query.cursor),
        limit: req.query.limit + 1,
      });
      return toPage(rows, req.query.limit, (r) => r.id);
    },
  );
};
