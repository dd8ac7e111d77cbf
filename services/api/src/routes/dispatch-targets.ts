import type { DispatchScope, DispatchTargetView } from '@hazardwatch/contracts';
import {
  createDispatchTarget,
  type DataScope,
  deleteDispatchTarget,
  deliveryHistory,
  getDispatchTarget,
  getEnterprise,
  listDeadDeliveries,
  listDispatchTargets,
  type Pool,
  requeueDeadDeliveries,
  rotateDispatchTargetSecret,
  updateDispatchTarget,
} from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../auth/principal.js';
import { actorOf } from '../auth/principal.js';
import { accessOf, storeScopeOf } from '../auth/scope.js';
import { ApiError, notFound } from '../errors.js';
import {
  DeliveryListQuery,
  DeliveryView,
  NewTargetBody,
  ReplayBody,
  ReplayResult,
  SecretBody,
  TargetListQuery,
  TargetParams,
  TargetPatchBody,
  TargetView,
} from '../schemas/dispatch.js';
import { AUTHED_ERRORS, ErrorBodySchema, WRITE_ERRORS } from '../schemas/error.js';
import { decodeNumberCursor, decodeStringCursor, pageOf, toPage } from '../schemas/page.js';
import type { RouteContext } from './context.js';

/** Who keeps webhook targets: an enterprise its control room's, a regulator its bureau's (within its region), an admin any. */
const TARGET_ROLES: readonly Role[] = ['admin', 'enterprise_manager', 'regulator'];

/** Whether a target scope lies inside the caller's scope (an enterprise must also exist in it). */
async function scopeWithin(pool: Pool, scope: DataScope, target: DispatchScope): Promise<boolean> {
  if ('enterpriseId' in target) return (await getEnterprise(pool, scope, target.enterpriseId)) !== null;
  if (scope.kind === 'all') return true;
  return scope.kind === 'region' && target.regionPrefix.startsWith(scope.regionPrefix);
}

async function targetInScope(pool: Pool, scope: DataScope, id: string): Promise<DispatchTargetView> {
  const t = await getDispatchTarget(pool, id);
  if (!t || !(await scopeWithin(pool, scope, t.scope))) throw notFound('dispatch target');
  return t;
}

/** Dispatch targets (webhooks): CRUD with write-only secrets, delivery history, dead-letter replay. */
export const dispatchTargetRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const box = () => {
    if (!ctx.dispatchSecrets) throw new ApiError('HW_API_UNAVAILABLE', 'no secret box configured: target secrets cannot be stored by this process');
    return ctx.dispatchSecrets;
  };

  app.get(
    '/dispatch/targets',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'List webhook targets in scope (never their secrets)',
        querystring: TargetListQuery,
        response: { 200: pageOf(TargetView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const s = storeScopeOf(accessOf(req).scope, q);
      if (!s) return { items: [], nextCursor: null };
      const rows = await listDispatchTargets(ctx.pool, {
        enterpriseId: s.enterpriseIds?.[0],
        regionPrefix: s.regionPrefix,
        enabled: q.enabled === undefined ? undefined : q.enabled === 'true',
        afterId: decodeStringCursor(q.cursor),
        limit: q.limit + 1,
      });
      return toPage(rows, q.limit, (t) => t.id);
    },
  );

  app.post(
    '/dispatch/targets',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Create a webhook target; its signing secret is write-only',
        body: NewTargetBody,
        response: { 201: TargetView, ...WRITE_ERRORS, 503: ErrorBodySchema },
      },
    },
    async (req, reply) => {
      const { scope } = accessOf(req);
      if (!(await scopeWithin(ctx.pool, scope, req.body.scope))) throw notFound('enterprise or region');
      return reply.status(201).send(await createDispatchTarget(ctx.pool, box(), req.body));
    },
  );

  app.get(
    '/dispatch/targets/:targetId',
    {
      config: { roles: TARGET_ROLES },
      schema: { tags: ['dispatch'], summary: 'Get a webhook target', params: TargetParams, response: { 200: TargetView, ...AUTHED_ERRORS } },
    },
    async (req) => targetInScope(ctx.pool, accessOf(req).scope, req.params.targetId),
  );

  app.patch(
    '/dispatch/targets/:targetId',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Change a webhook target (fields left out keep their value)',
        params: TargetParams,
        body: TargetPatchBody,
        response: { 200: TargetView, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const { scope } = accessOf(req);
      await targetInScope(ctx.pool, scope, req.params.targetId);
      if (req.body.scope && !(await scopeWithin(ctx.pool, scope, req.body.scope))) throw notFound('enterprise or region');
      const t = await updateDispatchTarget(ctx.pool, req.params.targetId, req.body);
      if (!t) throw notFound('dispatch target');
      return t;
    },
  );

  app.delete(
    '/dispatch/targets/:targetId',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Delete a webhook target (its delivery history stays)',
        params: TargetParams,
        response: { 204: z.null(), ...AUTHED_ERRORS },
      },
    },
    async (req, reply) => {
      await targetInScope(ctx.pool, accessOf(req).scope, req.params.targetId);
      if (!(await deleteDispatchTarget(ctx.pool, req.params.targetId))) throw notFound('dispatch target');
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/dispatch/targets/:targetId/secret',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Rotate the signing secret (write-only)',
        params: TargetParams,
        body: SecretBody,
        response: { 204: z.null(), ...AUTHED_ERRORS, 503: ErrorBodySchema },
      },
    },
    async (req, reply) => {
      await targetInScope(ctx.pool, accessOf(req).scope, req.params.targetId);
      if (!(await rotateDispatchTargetSecret(ctx.pool, box(), req.params.targetId, req.body.secret))) throw notFound('dispatch target');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/dispatch/targets/:targetId/deliveries',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Deliveries to a target, newest first, with every attempt (or only the dead ones)',
        params: TargetParams,
        querystring: DeliveryListQuery,
        response: { 200: pageOf(DeliveryView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      await targetInScope(ctx.pool, accessOf(req).scope, req.params.targetId);
      const q = req.query;
      const filter = { targetId: req.params.targetId, beforeId: decodeNumberCursor(q.cursor), limit: q.limit + 1 };
      const rows = q.status === 'dead' ? await listDeadDeliveries(ctx.pool, filter) : await deliveryHistory(ctx.pool, filter);
      return toPage(rows, q.limit, (d) => d.id);
    },
  );

  app.post(
    '/dispatch/targets/:targetId/replay',
    {
      config: { roles: TARGET_ROLES },
      schema: {
        tags: ['dispatch'],
        summary: 'Send dead-lettered deliveries of a target again (same body and idempotency key)',
        params: TargetParams,
        body: ReplayBody,
        response: { 200: ReplayResult, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      const id = req.params.targetId;
      await targetInScope(ctx.pool, scope, id);
      let which: { ids: number[] } | { targetId: string } = { targetId: id };
      if (req.body.ids) {
        // Only this target's dead deliveries: ids of other targets are ignored, not replayed.
        const mine = new Set((await listDeadDeliveries(ctx.pool, { targetId: id, limit: 1000 })).map((d) => d.id));
        which = { ids: req.body.ids.filter((x) => mine.has(x)) };
        if (which.ids.length === 0) return { requeued: 0 };
      }
      const refs = await requeueDeadDeliveries(ctx.pool, which, actorOf(principal), ctx.clock.now());
      // Dispatch's sweeper enqueues requeued deliveries whose job is missing.
      return { requeued: refs.length };
    },
  );
};
