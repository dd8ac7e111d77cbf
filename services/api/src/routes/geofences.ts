import { deleteGeofence, getGeofence, insertGeofence, listGeofences, updateGeofence } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { replaceRegistered } from '../replace-registered.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, pageOf, toPage } from '../schemas/page.js';
import { GeofenceParams, GeofenceView, RegistryListQuery } from '../schemas/registry.js';
import type { RouteContext } from './context.js';

const GEOFENCES = { noun: 'geofence', get: getGeofence, update: updateGeofence };

/** Geofences of an enterprise's vehicles: no-entry polygons and route corridors. */
export const geofenceRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/geofences',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['registry'],
        summary: 'List geofences in scope',
        querystring: RegistryListQuery,
        response: { 200: pageOf(GeofenceView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listGeofences(ctx.pool, accessOf(req).scope, {
        enterpriseId: q.enterpriseId,
        regionPrefix: q.region,
        after: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (g) => g.id);
    },
  );

  app.post(
    '/geofences',
    {
      config: { roles: ROLES.manage },
      schema: { tags: ['registry'], summary: 'Register a geofence', body: GeofenceView, response: { 201: GeofenceView, ...WRITE_ERRORS } },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      if (!(await insertGeofence(ctx.pool, scope, req.body))) throw notFound('enterprise');
      const created = await getGeofence(ctx.pool, scope, req.body.id);
      if (!created) throw notFound('geofence');
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/geofences/:geofenceId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['registry'], summary: 'Get a geofence', params: GeofenceParams, response: { 200: GeofenceView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      const g = await getGeofence(ctx.pool, accessOf(req).scope, req.params.geofenceId);
      if (!g) throw notFound('geofence');
      return g;
    },
  );

  app.put(
    '/geofences/:geofenceId',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['registry'],
        summary: 'Replace a geofence (its enterprise stays)',
        params: GeofenceParams,
        body: GeofenceView,
        response: { 200: GeofenceView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      return replaceRegistered(ctx.pool, accessOf(req).scope, GEOFENCES, req.params.geofenceId, req.body);
    },
  );

  app.delete(
    '/geofences/:geofenceId',
    {
      config: { roles: ROLES.manage },
      schema: { tags: ['registry'], summary: 'Delete a geofence', params: GeofenceParams, response: { 204: z.null(), ...AUTHED_ERRORS } },
    },
    async (req, reply) => {
      if (!(await deleteGeofence(ctx.pool, accessOf(req).scope, req.params.geofenceId))) throw notFound('geofence');
      return reply.status(204).send(null);
    },
  );
};
