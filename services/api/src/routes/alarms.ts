import { randomUUID } from 'node:crypto';
import type { AlarmInput } from '@hazardwatch/alarms';
import { computeAlarmKpis } from '@hazardwatch/alarms';
import type { Alarm, AlarmEvent } from '@hazardwatch/contracts';
import { applyAlarmInputs, type DataScope, getAlarm, getEnterprise, listAlarmEvents, listAlarms, listEventsBetween, type Pool } from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { actorOf, type Principal, type Role } from '../auth/principal.js';
import { ROLES } from '../auth/roles.js';
import { accessOf, storeScopeOf } from '../auth/scope.js';
import { ApiError, notFound } from '../errors.js';
import {
  ACTION_BODIES,
  ActionHeaders,
  ActionResultSchema,
  AlarmEventView,
  AlarmListQuery,
  AlarmParams,
  AlarmView,
  KpiQuery,
  KpiResponse,
} from '../schemas/alarm.js';
import { AUTHED_ERRORS, ErrorBodySchema } from '../schemas/error.js';
import { decodeNumberCursor, PageQuerySchema, pageOf, toPage } from '../schemas/page.js';
import { expensive, type RouteContext } from './context.js';
import { resetRuleAlarm } from './latch-reset.js';

/** An alarm by id, only when its enterprise is in scope (otherwise it does not exist for the caller). */
async function alarmInScope(pool: Pool, scope: DataScope, alarmId: string): Promise<Alarm> {
  const alarm = await getAlarm(pool, alarmId);
  if (!alarm || !(await getEnterprise(pool, scope, alarm.enterpriseId))) throw notFound('alarm');
  return alarm;
}

/** Event id of an action: from the client's Idempotency-Key (namespaced by key), else a fresh UUID. */
function eventIdOf(p: Principal, idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined ? `api:${randomUUID()}` : `api:${p.keyId}:${idempotencyKey}`;
}

type ActionBody<K extends keyof typeof ACTION_BODIES> = z.infer<(typeof ACTION_BODIES)[K]>;
type Base = { eventId: string; actor: string };

/**
 * The alarm actions (ISA-18.2 lifecycle): who may do each, and the state-machine input it becomes.
 * Regulators read and comment; operators acknowledge, shelve, unshelve, reset; managers also take
 * alarms out of service and suppress them (a change of the alarm system, not of one shift).
 */
const OPERATE: readonly Role[] = ['admin', 'enterprise_manager', 'operator'];
const COMMENT: readonly Role[] = ['admin', 'enterprise_manager', 'operator', 'regulator'];
const ACTIONS = {
  acknowledge: {
    path: 'acknowledge',
    roles: OPERATE,
    summary: 'Acknowledge',
    input: (b: ActionBody<'acknowledge'>, x: Base): AlarmInput => ({ type: 'acknowledge', ...x, ...(b.comment ? { comment: b.comment } : {}) }),
  },
  comment: {
    path: 'comment',
    roles: COMMENT,
    summary: 'Comment',
    input: (b: ActionBody<'comment'>, x: Base): AlarmInput => ({ type: 'comment', ...x, text: b.text }),
  },
  shelve: {
    path: 'shelve',
    roles: OPERATE,
    summary: 'Shelve for a time (with a reason)',
    input: (b: ActionBody<'shelve'>, x: Base): AlarmInput => ({ type: 'shelve', ...x, durationMs: b.durationMs, reason: b.reason }),
  },
  unshelve: {
    path: 'unshelve',
    roles: OPERATE,
    summary: 'Unshelve',
    input: (b: ActionBody<'unshelve'>, x: Base): AlarmInput => ({ type: 'unshelve', ...x, ...(b.reason ? { reason: b.reason } : {}) }),
  },
  reset: {
    path: 'reset',
    roles: OPERATE,
    summary: 'Reset a latched alarm whose condition has cleared (a rule’s alarm: decided by the rules worker, in order with its readings)',
    input: (b: ActionBody<'reset'>, x: Base): AlarmInput => ({ type: 'reset', ...x, ...(b.reason ? { reason: b.reason } : {}) }),
  },
  removeFromService: {
    path: 'remove-from-service',
    roles: ROLES.manage,
    summary: 'Take out of service (maintenance)',
    input: (b: ActionBody<'removeFromService'>, x: Base): AlarmInput => ({ type: 'remove_from_service', ...x, reason: b.reason }),
  },
  returnToService: {
    path: 'return-to-service',
    roles: ROLES.manage,
    summary: 'Return to service',
    input: (b: ActionBody<'returnToService'>, x: Base): AlarmInput => ({ type: 'return_to_service', ...x, ...(b.reason ? { reason: b.reason } : {}) }),
  },
  suppress: {
    path: 'suppress',
    roles: ROLES.manage,
    summary: 'Suppress (by design)',
    input: (b: ActionBody<'suppress'>, x: Base): AlarmInput => ({ type: 'suppress', ...x, reason: b.reason }),
  },
  unsuppress: {
    path: 'unsuppress',
    roles: ROLES.manage,
    summary: 'Unsuppress',
    input: (b: ActionBody<'unsuppress'>, x: Base): AlarmInput => ({ type: 'unsuppress', ...x, ...(b.reason ? { reason: b.reason } : {}) }),
  },
} as const;

/** Alarms: lists with filters, one alarm, its event history, the lifecycle actions, KPIs. */
export const alarmRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/alarms',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['alarms'],
        summary: 'List alarms in scope, newest first, filtered by enterprise, region, state, colour, category, time',
        querystring: AlarmListQuery,
        response: { 200: pageOf(AlarmView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const s = storeScopeOf(accessOf(req).scope, q);
      if (!s) return { items: [], nextCursor: null };
      return listAlarms(
        ctx.pool,
        {
          ...s,
          hazardSourceId: q.hazardSourceId,
          vehicleId: q.vehicleId,
          ruleId: q.ruleId,
          states: q.state,
          colours: q.colour,
          categories: q.category,
          open: q.open === undefined ? undefined : q.open === 'true',
          raisedFrom: q.from,
          raisedTo: q.to,
        },
        { limit: q.limit, cursor: q.cursor ?? null },
      );
    },
  );

  app.get(
    '/alarms/:alarmId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['alarms'], summary: 'Get an alarm', params: AlarmParams, response: { 200: AlarmView, ...AUTHED_ERRORS } },
    },
    async (req) => alarmInScope(ctx.pool, accessOf(req).scope, req.params.alarmId),
  );

  app.get(
    '/alarms/:alarmId/events',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['alarms'],
        summary: 'The alarm’s event history (who did what, when), oldest first',
        params: AlarmParams,
        querystring: PageQuerySchema,
        response: { 200: pageOf(AlarmEventView), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      await alarmInScope(ctx.pool, accessOf(req).scope, req.params.alarmId);
      const afterSeq = decodeNumberCursor(req.query.cursor);
      const rows = await listAlarmEvents(ctx.pool, req.params.alarmId, { ...(afterSeq === undefined ? {} : { afterSeq }), limit: req.query.limit + 1 });
      return toPage(rows, req.query.limit, (e) => e.seq);
    },
  );

  for (const [key, action] of Object.entries(ACTIONS) as Array<[keyof typeof ACTIONS, (typeof ACTIONS)[keyof typeof ACTIONS]]>) {
    app.post(
      `/alarms/:alarmId/${action.path}`,
      {
        config: { roles: action.roles },
        schema: {
          tags: ['alarms'],
          summary: action.summary,
          params: AlarmParams,
          headers: ActionHeaders,
          body: ACTION_BODIES[key],
          response: { 200: ActionResultSchema, ...AUTHED_ERRORS, 409: ErrorBodySchema, ...(key === 'reset' ? { 503: ErrorBodySchema } : {}) },
        },
      },
      async (req) => {
        const { principal, scope } = accessOf(req);
        const alarm = await alarmInScope(ctx.pool, scope, req.params.alarmId);
        const base = { eventId: eventIdOf(principal, req.headers['idempotency-key']), actor: actorOf(principal) };
        if (key === 'reset') {
          // The worker publishes the events it stores.
          const reason = (req.body as ActionBody<'reset'>).reason;
          const done = await resetRuleAlarm(ctx, alarm, { ...base, reason }, req.log);
          if (done) return done;
        }
        // The body was checked against ACTION_BODIES[key] by the route's schema.
        const input = (action.input as (b: unknown, x: Base) => AlarmInput)(req.body, base);
        const out = await applyAlarmInputs(ctx.pool, [{ key: { alarmId: alarm.id }, input }], ctx.clock.now());
        const result = out.results[0];
        if (!result) throw new ApiError('HW_API_INTERNAL', 'internal error');
        if (result.status === 'refused') {
          if (result.code.startsWith('HW_ALARM_')) throw new ApiError(result.code as ApiError['code'], result.message);
          throw new ApiError(result.code === 'HW_DB_ALARM_ENTERPRISE_NOT_FOUND' ? 'HW_API_NOT_FOUND' : 'HW_API_CONFLICT', result.message);
        }
        if (result.status === 'applied') await publish(ctx, req.log, result.events);
        const now = result.alarm ?? (await getAlarm(ctx.pool, alarm.id));
        if (!now) throw notFound('alarm');
        return { alarm: now, events: result.events, duplicate: result.status === 'duplicate' };
      },
    );
  }

  app.get(
    '/alarm-kpis',
    {
      config: { roles: ROLES.read, rateLimit: expensive(ctx) },
      schema: {
        tags: ['alarms'],
        summary: 'Alarm-management KPIs (ISA-18.2 / EEMUA 191) of the scope over [from, to): rate, floods, chattering, stale, priority mix',
        querystring: KpiQuery,
        response: { 200: KpiResponse, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      const q = req.query;
      const s = storeScopeOf(accessOf(req).scope, q);
      // Events before `from` give context (a flood already running, alarms already active); a day covers the stale limit.
      const events: AlarmEvent[] = s ? await listEventsBetween(ctx.pool, { from: q.from - 86_400_000, to: q.to, ...s }) : [];
      return computeAlarmKpis(events, { from: q.from, to: q.to });
    },
  );
};

/** Hand committed events on (queue and live channel); a failure here loses nothing (dispatch's sweeper re-reads PostgreSQL). */
async function publish(ctx: RouteContext, log: { warn(obj: object, msg: string): void }, events: readonly AlarmEvent[]): Promise<void> {
  if (!ctx.publishEvents || events.length === 0) return;
  try {
    await ctx.publishEvents(events);
  } catch (err) {
    log.warn({ err, events: events.length }, 'publishing alarm events failed; dispatch will pick them up from the database');
  }
}
