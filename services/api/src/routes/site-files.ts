import { applySiteFile, getEnterprise, idsOwnedElsewhere, loadEnterpriseRegistry } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { EnterpriseParams } from '../schemas/registry.js';
import { SiteFileBody, type SiteFileExport, SiteFileExportSchema, SiteFileResultSchema } from '../schemas/site-file.js';
import { expensive, type RouteContext } from './context.js';

/** Import (idempotent upsert) and export of the site-file format of the foundation. */
export const siteFileRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.post(
    '/site-files',
    {
      config: { roles: ROLES.manage, rateLimit: expensive(ctx) },
      bodyLimit: ctx.config.bodyLimitBytes,
      schema: {
        tags: ['registry'],
        summary: 'Import a site file: upserts the enterprise and everything under it in one transaction',
        body: SiteFileBody,
        response: { 200: SiteFileResultSchema, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      const site = req.body;
      const enterpriseId = site.enterprise.id;
      const current = await getEnterprise(ctx.pool, scope, enterpriseId);
      if (principal.role !== 'admin') {
        // A manager imports only into its own, existing enterprise and cannot move it to another region.
        if (!current) throw notFound('enterprise');
        if (current.regionCode !== site.enterprise.regionCode) throw forbidden('only an administrator may change the region code');
      }
      // The import upserts by id: an id of another enterprise would be moved into this one.
      const taken = await idsOwnedElsewhere(ctx.pool, enterpriseId, {
        hazardSources: site.hazardSources.map((h) => h.id),
        devices: site.devices.map((d) => d.id),
        vehicles: site.vehicles.map((v) => v.id),
        geofences: site.geofences.map((g) => g.id),
      });
      if (taken.length > 0)
        throw new ApiError(
          'HW_API_CONFLICT',
          'ids in the file belong to another enterprise',
          taken.map((t) => ({ path: `body.${t}`, message: 'id taken by another enterprise' })),
        );
      return applySiteFile(ctx.pool, site);
    },
  );

  app.get(
    '/enterprises/:enterpriseId/site-file',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['registry'],
        summary: 'Export the register of an enterprise as a site file',
        params: EnterpriseParams,
        response: { 200: SiteFileExportSchema, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const reg = await loadEnterpriseRegistry(ctx.pool, accessOf(req).scope, req.params.enterpriseId);
      if (!reg) throw notFound('enterprise');
      // (Map.groupBy is Node 21+.)
      const pointsOf = new Map<string, typeof reg.points>();
      for (const p of reg.points) pointsOf.set(p.deviceId, [...(pointsOf.get(p.deviceId) ?? []), p]);
      const file: SiteFileExport = {
        version: 1,
        enterprise: reg.enterprise,
        hazardSources: reg.hazardSources.map(({ enterpriseId: _e, ...h }) => h),
        devices: reg.devices.map(({ enterpriseId: _e, ...d }) => ({
          ...d,
          points: (pointsOf.get(d.id) ?? []).map(({ id: _i, deviceId: _d, enterpriseId: _x, ...p }) => p),
        })),
        vehicles: reg.vehicles.map(({ enterpriseId: _e, ...v }) => v),
        geofences: reg.geofences,
      };
      return file;
    },
  );
};
