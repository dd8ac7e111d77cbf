import {
  createRule,
  createRuleVersion,
  type DataScope,
  diffRuleVersions,
  getCurrentRule,
  getEnterprise,
  getRuleVersion,
  listRules,
  listRuleVersions,
  type Pool,
  type StoredRule,
  setRuleEnabled,
} from '@hazardwatch/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import { ROLES } from '../auth/roles.js';
import { accessOf, storeScopeOf } from '../auth/scope.js';
import { notFound } from '../errors.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { decodeStringCursor, encodeCursor, pageOf } from '../schemas/page.js';
import {
  DiffQuery,
  EnableBody,
  NewRuleBody,
  RuleDiffView,
  RuleListQuery,
  RuleParams,
  RuleVersionBody,
  RuleVersionParams,
  RuleVersionView,
  StoredRuleView,
} from '../schemas/rule.js';
import type { RouteContext } from './context.js';

/** A rule whose enterprise is in scope, or 404. */
async function ruleInScope(pool: Pool, scope: DataScope, ruleId: string): Promise<StoredRule> {
  const r = await getCurrentRule(pool, ruleId);
  if (!r || !(await getEnterprise(pool, scope, r.rule.enterpriseId))) throw notFound('rule');
  return r;
}

/** Rules are data: versioned documents, changed through here and picked up by running workers. */
export const ruleRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/rules',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['rules'], summary: 'List live rules in scope', querystring: RuleListQuery, response: { 200: pageOf(StoredRuleView), ...AUTHED_ERRORS } },
    },
    async (req) => {
      const q = req.query;
      const s = storeScopeOf(accessOf(req).scope, q);
      if (!s) return { items: [], nextCursor: null };
      const page = await listRules(
        ctx.pool,
        {
          ...s,
          hazardSourceId: q.hazardSourceId,
          vehicleId: q.vehicleId,
          kinds: q.kind === undefined ? undefined : [q.kind],
          enabled: q.enabled === undefined ? undefined : q.enabled === 'true',
        },
        { limit: q.limit, cursor: decodeStringCursor(q.cursor) ?? null },
      );
      return { items: page.items, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) };
    },
  );

  app.post(
    '/rules',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['rules'],
        summary: 'Create a rule (version 1); it must fit the register (its points belong to its hazard source)',
        body: NewRuleBody,
        response: { 201: StoredRuleView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const { principal, scope } = accessOf(req);
      if (!(await getEnterprise(ctx.pool, scope, req.body.rule.enterpriseId))) throw notFound('enterprise');
      const created = await createRule(ctx.pool, req.body.rule, { by: actorOf(principal), note: req.body.note ?? null, at: ctx.clock.now() });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/rules/:ruleId',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['rules'], summary: 'The live version of a rule', params: RuleParams, response: { 200: StoredRuleView, ...AUTHED_ERRORS } },
    },
    async (req) => ruleInScope(ctx.pool, accessOf(req).scope, req.params.ruleId),
  );

  app.put(
    '/rules/:ruleId',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['rules'],
        summary: 'Publish a new version (its enterprise, hazard source and vehicle selector stay)',
        params: RuleParams,
        body: RuleVersionBody,
        response: { 200: StoredRuleView, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const { principal, scope } = accessOf(req);
      await ruleInScope(ctx.pool, scope, req.params.ruleId);
      return createRuleVersion(ctx.pool, req.params.ruleId, req.body.rule, {
        by: actorOf(principal),
        note: req.body.note ?? null,
        at: ctx.clock.now(),
        expectedVersion: req.body.expectedVersion,
      });
    },
  );

  for (const enabled of [true, false]) {
    app.post(
      `/rules/:ruleId/${enabled ? 'enable' : 'disable'}`,
      {
        config: { roles: ROLES.manage },
        schema: {
          tags: ['rules'],
          summary: enabled ? 'Enable a rule (a new version)' : 'Disable a rule (a new version, so who switched it off is on record)',
          params: RuleParams,
          body: EnableBody,
          response: { 200: StoredRuleView, ...WRITE_ERRORS },
        },
      },
      async (req) => {
        const { principal, scope } = accessOf(req);
        await ruleInScope(ctx.pool, scope, req.params.ruleId);
        return setRuleEnabled(ctx.pool, req.params.ruleId, enabled, {
          by: actorOf(principal),
          note: req.body.note ?? null,
          at: ctx.clock.now(),
          expectedVersion: req.body.expectedVersion,
        });
      },
    );
  }

  app.get(
    '/rules/:ruleId/versions',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['rules'],
        summary: 'Every version of a rule, newest first (who changed what, when, why)',
        params: RuleParams,
        response: { 200: z.object({ items: z.array(RuleVersionView) }), ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      await ruleInScope(ctx.pool, accessOf(req).scope, req.params.ruleId);
      return { items: await listRuleVersions(ctx.pool, req.params.ruleId) };
    },
  );

  app.get(
    '/rules/:ruleId/versions/:version',
    {
      config: { roles: ROLES.read },
      schema: { tags: ['rules'], summary: 'One version of a rule', params: RuleVersionParams, response: { 200: RuleVersionView, ...AUTHED_ERRORS } },
    },
    async (req) => {
      await ruleInScope(ctx.pool, accessOf(req).scope, req.params.ruleId);
      const v = await getRuleVersion(ctx.pool, req.params.ruleId, req.params.version);
      if (!v) throw notFound('rule version');
      return v;
    },
  );

  app.get(
    '/rules/:ruleId/diff',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['rules'],
        summary: 'What changed between two versions, leaf by leaf',
        params: RuleParams,
        querystring: DiffQuery,
        response: { 200: RuleDiffView, ...AUTHED_ERRORS },
      },
    },
    async (req) => {
      await ruleInScope(ctx.pool, accessOf(req).scope, req.params.ruleId);
      const d = await diffRuleVersions(ctx.pool, req.params.ruleId, req.query.from, req.query.to);
      if (!d) throw notFound('rule version');
      return d;
    },
  );
};
