import { deletePoint, getPoint, insertPoint, listPoints, updatePoint } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { invalid, notFound } from '../errors.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeNumberCursor, pageOf, toPage } from '../schemas/page.js';
import { NewPointSchema, PointListQuery, PointParams, PointView } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

/** Measuring points (测点) `{deviceId}.{channel}`: kind, unit, instrument range, hazard source. */
export const pointRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/points',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['registry'],
        summary: 'List measuring points in scope',
        querystring: PointListQuery,
        response: { 200: pageOf(PointView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listPoints(ctx.pool, accessOf(req).scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        hazardSourceId: q.hazardSourceId,
        deviceId: q.deviceId,
        after: decodeNumberCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (p) => p.id);
    },
  );

  app.post(
    '/points',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Register a measuring point (its device and hazard source must be of the same enterprise)',
        body: NewPointSchema,
        response: { 201: PointView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      const id = await insertPoint(ctx.pool, scope, req.body);
      if (id === null) throw notFound('device or hazard source (of one enterprise)');
      const created = await getPoint(ctx.pool, scope, id);
      if (!created) throw notFound('point');
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/points/:pointId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get a measuring point', params: PointParams, response: { 200: PointView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const p = await getPoint(ctx.pool, accessOf(req).scope, req.params.pointId);
      if (!p) throw notFound('point');
      return p;
    },
  );

  app.put(
    '/points/:pointId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Replace a measuring point (its device stays)',
        params: PointParams,
        body: NewPointSchema,
        response: { 200: PointView, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      const current = await getPoint(ctx.pool, scope, req.params.pointId);
      if (!current) throw notFound('point');
      if (req.body.deviceId !== current.deviceId) throw invalid('body.deviceId', 'a point cannot move to another device');
      if (!(await updatePoint(ctx.pool, scope, req.params.pointId, req.body))) throw notFound('hazard source (of the same enterprise)');
      const updated = await getPoint(ctx.pool, scope, req.params.pointId);
      if (!updated) throw notFound('point');
      return updated;
    },
  );

  app.delete(
    '/points/:pointId',
    {
      config: { roles: ROLES.provision },
      schema: {
        tags: ['registry'],
        summary: 'Delete a measuring point (stored readings stay)',
        params: PointParams,
        response: { 204: z.null(), ...AUTHED_ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await deletePoint(ctx.pool, accessOf(req).scope, req.params.pointId))) throw notFound('point');
      return reply.status(204).send(null);
    },
  );
};
