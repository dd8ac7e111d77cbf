import type { RuleDocument } from '@hazardwatch/contracts';
import { type DataScope, getEnterprise, getVehicle, type Pool, pointsInScope, rulePointIds } from '@hazardwatch/db';
import { backtestRule } from '@hazardwatch/rules-worker';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { AUTHED_ERRORS, ErrorBodySchema } from '../schemas/error.js';
import { BacktestBody, BacktestView } from '../schemas/rule-backtest.js';
import { expensive, type RouteContext } from './context.js';

/**
 * The draft may read only its own enterprise's data: its enterprise must be in the caller's
 * scope (else 404, as for any record out of scope), and every point and vehicle it names must
 * be of that enterprise (else 400, without telling whether the id exists elsewhere).
 */
async function checkDraftScope(pool: Pool, scope: DataScope, rule: RuleDocument): Promise<void> {
  if (!(await getEnterprise(pool, scope, rule.enterpriseId))) throw notFound('enterprise');
  const own: DataScope = { kind: 'enterprise', enterpriseId: rule.enterpriseId };
  const pointIds = rulePointIds(rule);
  const found = new Set((await pointsInScope(pool, own, pointIds)).map((p) => p.id));
  const details = pointIds
    .filter((id) => !found.has(id))
    .map((id) => ({ path: 'body.rule', message: `point ${id} is not a point of enterprise ${rule.enterpriseId}` }));
  if (rule.kind === 'vehicle' && rule.vehicleId !== null && !(await getVehicle(pool, own, rule.vehicleId)))
    details.push({ path: 'body.rule.vehicleId', message: `vehicle ${rule.vehicleId} is not a vehicle of enterprise ${rule.enterpriseId}` });
  if (details.length > 0) throw new ApiError('HW_API_VALIDATION', 'the draft reads data of no enterprise in scope', details);
}

/** Backtest: a draft rule over the stored data of a time range, before it is published. */
export const ruleBacktestRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const maxDays = ctx.config.maxBacktestRangeMs / 86_400_000;
  app.post(
    '/rules/backtest',
    {
      config: { roles: ROLES.manage, rateLimit: expensive(ctx) },
      schema: {
        tags: ['rules'],
        summary: 'Run a draft rule over the stored readings and positions of [from, to]: the transitions it would have produced, counts per level and colour',
        body: BacktestBody,
        response: { 200: BacktestView, ...AUTHED_ERRORS, 413: ErrorBodySchema },
      },
    },
    async (req) => {
      const { rule, from, to, tickMs } = req.body;
      if (to - from > ctx.config.maxBacktestRangeMs)
        throw invalid('body.to', `at most ${Number.isInteger(maxDays) ? `${maxDays} days` : `${ctx.config.maxBacktestRangeMs} ms`} per backtest`);
      await checkDraftScope(ctx.pool, accessOf(req).scope, rule);
      // Readings too many for one backtest: HW_API_BACKTEST_TOO_LARGE (413), mapped in error-handler.ts.
      const result = await backtestRule(ctx.pool, rule, { from, to, ...(tickMs === undefined ? {} : { tickMs }) });
      return { from, to, ...result };
    },
  );
};
