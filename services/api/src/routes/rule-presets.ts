import { createRule, getEnterprise, type Pool, pointsInScope, RuleStoreError, RuleStoreErrorCode } from '@hazardwatch/db';
import { instantiatePreset, listPresets, type PresetInfo, RuleError, RuleErrorCode } from '@hazardwatch/rules';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import { ROLES } from '../auth/roles.js';
import { accessOf } from '../auth/scope.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { AUTHED_ERRORS, WRITE_ERRORS } from '../schemas/error.js';
import { StoredRuleView } from '../schemas/rule.js';
import { FromPresetBody, PRESET_OWN_FIELDS, PRESET_TARGET_FIELDS, PresetListView, type PresetTargetField, type PresetView } from '../schemas/rule-preset.js';
import type { RouteContext } from './context.js';

/** Parameter fields sent beside `params` instead of in it. */
const OUTSIDE_PARAMS: ReadonlySet<string> = new Set([...PRESET_TARGET_FIELDS, ...PRESET_OWN_FIELDS]);

interface Preset {
  view: PresetView;
  /** The target fields this preset takes. */
  takes: ReadonlySet<PresetTargetField>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A preset as clients see it: its parameters' JSON Schema without the fields sent beside
 * `params` (rule id, enterprise, version, target), and which target fields it takes. A vehicle
 * rule has no hazard source (it is placed by its vehicle), so vehicle presets do not take one.
 */
function presetOf(p: PresetInfo): Preset {
  const json: Record<string, unknown> = { ...z.toJSONSchema(p.paramsSchema, { io: 'input', unrepresentable: 'any' }) };
  const properties = isRecord(json.properties) ? { ...json.properties } : {};
  const required = Array.isArray(json.required) ? json.required.filter((r): r is string => typeof r === 'string') : [];
  const target = PRESET_TARGET_FIELDS.filter((f) => f in properties && !(f === 'hazardSourceId' && p.kind === 'vehicle')).map((field) => ({
    field,
    required: required.includes(field),
  }));
  for (const k of OUTSIDE_PARAMS) delete properties[k];
  const stillRequired = required.filter((r) => !OUTSIDE_PARAMS.has(r));
  const { required: _required, ...rest } = json;
  const paramsSchema = { ...rest, properties, ...(stillRequired.length > 0 ? { required: stillRequired } : {}) };
  return {
    view: { id: p.id, title: p.title, description: p.description, source: p.source, kind: p.kind, target, paramsSchema },
    takes: new Set(target.map((t) => t.field)),
  };
}

/**
 * A `path: message` reason of the preset or the rule store as a detail of this route's body:
 * fields sent beside `params` keep their own path, everything else is in `params`.
 */
function detailOf(reason: string): { path: string; message: string } {
  const i = reason.indexOf(': ');
  const head = i > 0 ? reason.slice(0, i) : '';
  // Only a plain dotted path is a path; "point 7 belongs to …: …" is a sentence.
  if (!/^[A-Za-z][\w.]*$/.test(head)) return { path: 'body', message: reason };
  const message = reason.slice(i + 2);
  return OUTSIDE_PARAMS.has(head.split('.')[0] ?? '') ? { path: `body.${head}`, message } : { path: `body.params.${head}`, message };
}

/** The hazard source of the first of `pointIds` that is a point of the enterprise (a point rule is evaluated where its readings arrive). */
async function hazardSourceOfPoints(pool: Pool, enterpriseId: string, pointIds: readonly number[]): Promise<string | null | undefined> {
  if (pointIds.length === 0) return undefined;
  const points = await pointsInScope(pool, { kind: 'enterprise', enterpriseId }, pointIds);
  const first = pointIds.map((id) => points.find((p) => p.id === id)).find((p) => p !== undefined);
  return first?.hazardSourceId ?? undefined;
}

/** Rule presets: the domain's standard rules (GB/T 50493, ISA-18.2, GB 51108, hazmat vehicles) and their instantiation. */
export const rulePresetRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const presets = new Map(listPresets().map((p) => [p.id, presetOf(p)]));

  app.get(
    '/rule-presets',
    {
      config: { roles: ROLES.read },
      schema: {
        tags: ['rules'],
        summary: 'The rule presets, each with the standard clause it cites and the JSON Schema of its parameters',
        response: { 200: PresetListView, ...AUTHED_ERRORS },
      },
    },
    async () => ({ items: [...presets.values()].map((p) => p.view) }),
  );

  app.post(
    '/rules/from-preset',
    {
      config: { roles: ROLES.manage },
      schema: {
        tags: ['rules'],
        summary: 'Create a rule (version 1) from a preset for a point, hazard source or vehicle; 400 with the preset’s reasons for bad parameters',
        body: FromPresetBody,
        response: { 201: StoredRuleView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      const { principal, scope } = accessOf(req);
      const b = req.body;
      if (!(await getEnterprise(ctx.pool, scope, b.enterpriseId))) throw notFound('enterprise');
      const preset = presets.get(b.presetId);
      if (!preset) throw invalid('body.presetId', `no preset ${b.presetId}; GET /api/v1/rule-presets lists them`);

      const details: Array<{ path: string; message: string }> = [];
      for (const k of Object.keys(b.params))
        if (OUTSIDE_PARAMS.has(k))
          details.push({
            path: `body.params.${k}`,
            message: k === 'version' ? 'a rule made from a preset starts at version 1' : `send ${k} beside params, not in it`,
          });
      const takes = [...preset.takes].join(', ') || 'no target field';
      for (const f of PRESET_TARGET_FIELDS)
        if (b[f] !== undefined && !preset.takes.has(f))
          details.push({ path: `body.${f}`, message: `preset ${b.presetId} does not take ${f} (it takes ${takes})` });
      if (details.length > 0) throw new ApiError('HW_API_VALIDATION', 'request is invalid', details);

      const target: Record<string, unknown> = {};
      for (const f of PRESET_TARGET_FIELDS) if (b[f] !== undefined) target[f] = b[f];
      if (b.hazardSourceId === undefined && preset.takes.has('hazardSourceId')) {
        const inferred = await hazardSourceOfPoints(ctx.pool, b.enterpriseId, b.pointId !== undefined ? [b.pointId] : (b.pointIds ?? []));
        if (inferred !== undefined) target.hazardSourceId = inferred;
      }

      let document: unknown;
      try {
        document = instantiatePreset(b.presetId, { ...b.params, ...target, ruleId: b.ruleId, enterpriseId: b.enterpriseId });
      } catch (err) {
        if (err instanceof RuleError && (err.code === RuleErrorCode.PresetParams || err.code === RuleErrorCode.PresetUnknown))
          throw new ApiError(
            'HW_API_VALIDATION',
            err.message,
            err.details.length > 0 ? err.details.map(detailOf) : [{ path: 'body.params', message: err.message }],
            {
              cause: err,
            },
          );
        throw err;
      }
      try {
        const created = await createRule(ctx.pool, document, { by: actorOf(principal), note: b.note ?? null, at: ctx.clock.now() });
        return reply.status(201).send(created);
      } catch (err) {
        // The preset's document does not fit the register (a point of another hazard source, …).
        if (err instanceof RuleStoreError && err.code === RuleStoreErrorCode.Invalid)
          throw new ApiError('HW_API_VALIDATION', err.message, err.reasons.map(detailOf), { cause: err });
        throw err;
      }
    },
  );
};
