import { deleteHazardSource, getHazardSource, insertHazardSource, listHazardSources, updateHazardSource } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { replaceRegistered } from '../replace-registered.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, pageOf, toPage } from '../schemas/page.js';
import { HazardSourceListQuery, HazardSourceParams, HazardSourceView } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

const HAZARD_SOURCES = { noun: 'hazard source', get: getHazardSource, update: updateHazardSource };

/** Hazard sources (重大危险源): units with their hazardous chemicals (q, Q, β) and people within 500 m. */
export const hazardSourceRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/hazard-sources',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['registry'],
        summary: 'List hazard sources in scope',
        querystring: HazardSourceListQuery,
        response: { 200: pageOf(HazardSourceView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listHazardSources(ctx.pool, accessOf(req).scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        kind: q.kind,
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (h) => h.id);
    },
  );

  app.post(
    '/hazard-sources',
    {
      config: { roles: ROLES.manage },
      schema: { tags: ['registry'], summary: 'Register a hazard source', body: HazardSourceView, response: { 201: HazardSourceView, ...WRITE_ERRORS } },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      if (!(await insertHazardSource(ctx.pool, scope, req.body))) throw notFound('enterprise');
      const created = await getHazardSource(ctx.pool, scope, req.body.id);
      if (!created) throw notFound('hazard source');
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/hazard-sources/:hazardSourceId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get a hazard source', params: HazardSourceParams, response: { 200: HazardSourceView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const h = await getHazardSource(ctx.pool, accessOf(req).scope, req.params.hazardSourceId);
      if (!h) throw notFound('hazard source');
      return h;
    },
  );

  app.put(
    '/hazard-sources/:hazardSourceId',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['registry'],
        summary: 'Replace a hazard source (its enterprise stays)',
        params: HazardSourceParams,
        body: HazardSourceView,
        response: { 200: HazardSourceView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      return replaceRegistered(ctx.pool, accessOf(req).scope, HAZARD_SOURCES, req.params.hazardSourceId, req.body);
    },
  );

  app.delete(
    '/hazard-sources/:hazardSourceId',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['registry'],
        summary: 'Delete a hazard source with its measuring points and rules',
        params: HazardSourceParams,
        response: { 204: z.null(), ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      if (!(await deleteHazardSource(ctx.pool, accessOf(req).scope, req.params.hazardSourceId))) throw notFound('hazard source');
      return reply.status(204).send(null);
    },
  );
};
