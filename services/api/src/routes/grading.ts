import { getHazardSource } from '@hazardwatch/db';
import { GradeInputSchema, GradingSchema, grade } from '@hazardwatch/gb18218';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { AUTHED_ERRORS } from '../schemas/error.js';
import { HazardSourceParams } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

const GradingView = GradingSchema.extend({}).meta({ id: 'Gb18218Grading' });

/** GB 18218-2018 identification and grading of a registered hazard source, with the working. */
export const gradingRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/hazard-sources/:hazardSourceId/grading',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['gb18218'],
        summary: 'S = Σq/Q (major when ≥ 1), R = α·Σβq/Q and level 1-4 (GB 18218-2018 formulas (1), (2), Tables 5-6), with the working',
        params: HazardSourceParams,
        response: { 200: GradingView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const h = await getHazardSource(ctx.pool, accessOf(req).scope, req.params.hazardSourceId);
      if (!h) throw notFound('hazard source');
      return grade(GradeInputSchema.parse({ chemicals: h.chemicals, peopleWithin500m: h.peopleWithin500m }));
    },
  );
};
