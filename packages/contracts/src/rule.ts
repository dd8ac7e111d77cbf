import { z } from 'zod';
import { AlarmCategorySchema } from './alarm.js';
import { EnterpriseIdSchema, GeofenceIdSchema, HazardSourceIdSchema, PointIdSchema, TopicIdSchema, VehicleIdSchema } from './ids.js';
import { ColourSchema, SEVERITY_OF_COLOUR } from './severity.js';

/**
 * The rule document: what the rule engine (packages/rules) evaluates. A rule is data,
 * versioned, validated here at every trust boundary (API body, rules table JSON column).
 *
 * Conventions shared by every kind:
 * - times are milliseconds (`…Ms`), distances metres (`…M`), speeds km/h (`…Kmh`);
 * - a value is in the unit of its measuring point (the engine never converts);
 * - `onDelayMs` / `offDelayMs` / `latching` filter the condition a kind defines: the
 *   condition must hold `onDelayMs` before the alarm is raised (or goes up a level), and be
 *   gone `offDelayMs` before it clears (or goes down); a latching alarm never clears nor goes
 *   down by itself, only through a person's reset once the condition is gone.
 */

const MAX_DAY_MS = 86_400_000;
const MAX_WINDOW_MS = 7 * MAX_DAY_MS;

/** Rule id: the same alphabet as topic ids, so it can be embedded in transition ids (`:` separated). */
export const RuleIdSchema = TopicIdSchema.describe('rule id');
export type RuleId = z.infer<typeof RuleIdSchema>;

/** A level name as it appears on an alarm (`H`, `HH`, `first`, `red`, …). */
export const LevelNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'level name must be 1-32 characters of A-Z a-z 0-9 _ -')
  .describe('level name');

/** One alarm level: its name and the warning colour it maps to (severity.ts). */
export const AlarmLevelSchema = z.object({ name: LevelNameSchema, colour: ColourSchema }).strict();
export type AlarmLevel = z.infer<typeof AlarmLevelSchema>;

const nonNegMs = (what: string, max = MAX_WINDOW_MS) =>
  z.number().int(`${what} must be a whole number of milliseconds`).min(0, `${what} must not be negative`).max(max, `${what} must be at most ${max} ms`);
const positiveMs = (what: string, max = MAX_WINDOW_MS) =>
  z.number().int(`${what} must be a whole number of milliseconds`).positive(`${what} must be above 0`).max(max, `${what} must be at most ${max} ms`);
const finite = (what: string) => z.number().finite(`${what} must be a finite number`);

/** Fields every rule carries, whatever its kind. */
const commonFields = {
  id: RuleIdSchema,
  version: z.number().int('version must be a whole number').min(1, 'version starts at 1'),
  enterpriseId: EnterpriseIdSchema,
  /** The hazard source the rule watches; null for vehicle rules. */
  hazardSourceId: HazardSourceIdSchema.nullable(),
  /**
   * Vehicle selector of a vehicle rule: one vehicle, or null for every vehicle of the
   * enterprise (the engine then keeps one state per vehicle). Null for other kinds.
   */
  vehicleId: VehicleIdSchema.nullable().default(null),
  name: z.string().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  onDelayMs: nonNegMs('onDelayMs', MAX_DAY_MS).default(0),
  offDelayMs: nonNegMs('offDelayMs', MAX_DAY_MS).default(0),
  latching: z.boolean().default(false),
  /** Where a preset produced the rule: the clause it cites (e.g. `GB/T 50493-2019 §5.5`). */
  source: z.string().max(300).optional(),
};

/** Point ids of a per-point rule: at least one, no duplicates. */
const pointIdList = z
  .array(PointIdSchema)
  .min(1, 'list at least one point')
  .max(1000, 'at most 1000 points per rule')
  .refine((ids) => new Set(ids).size === ids.length, 'point ids must not repeat');

// ---------------------------------------------------------------- threshold

export const ThresholdSideSchema = z.enum(['high', 'low']);
export const ThresholdLevelSchema = z
  .object({
    name: LevelNameSchema,
    colour: ColourSchema,
    /** high: active at value ≥ setpoint; low: active at value ≤ setpoint. */
    side: ThresholdSideSchema,
    setpoint: finite('setpoint'),
  })
  .strict();
export type ThresholdLevel = z.infer<typeof ThresholdLevelSchema>;

/** Names must be unique across a rule's levels. */
function checkUniqueNames(names: readonly string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate level name '${n}'` });
    seen.add(n);
  });
}

export const ThresholdRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('threshold'),
    category: AlarmCategorySchema.default('process'),
    pointId: PointIdSchema,
    /**
     * Levels of one side listed from the least to the most extreme setpoint (H then HH; L then LL);
     * a more extreme level must not have a less severe colour.
     */
    levels: z.array(ThresholdLevelSchema).min(1, 'a threshold rule needs at least one level').max(8, 'at most 8 levels'),
    /** Hysteresis for clearing, in the point's unit: a high level clears below setpoint − deadband. */
    deadband: z.number().finite().min(0, 'deadband must not be negative').default(0),
  })
  .strict()
  .superRefine((r, ctx) => {
    checkUniqueNames(
      r.levels.map((l) => l.name),
      ['levels'],
      ctx,
    );
    for (const side of ['high', 'low'] as const) {
      const onSide = r.levels.map((l, i) => ({ l, i })).filter(({ l }) => l.side === side);
      for (let k = 1; k < onSide.length; k++) {
        const prev = onSide[k - 1];
        const cur = onSide[k];
        if (!prev || !cur) continue;
        const ordered = side === 'high' ? cur.l.setpoint > prev.l.setpoint : cur.l.setpoint < prev.l.setpoint;
        if (!ordered)
          ctx.addIssue({
            code: 'custom',
            path: ['levels', cur.i, 'setpoint'],
            message: `${side}-side levels must be listed from the least to the most extreme setpoint: '${cur.l.name}' (${cur.l.setpoint}) must be ${side === 'high' ? 'above' : 'below'} '${prev.l.name}' (${prev.l.setpoint})`,
          });
        if (SEVERITY_OF_COLOUR[cur.l.colour] < SEVERITY_OF_COLOUR[prev.l.colour])
          ctx.addIssue({
            code: 'custom',
            path: ['levels', cur.i, 'colour'],
            message: `'${cur.l.name}' is more extreme than '${prev.l.name}' and must not have a less severe colour (${cur.l.colour} < ${prev.l.colour})`,
          });
      }
    }
    const highs = r.levels.filter((l) => l.side === 'high').map((l) => l.setpoint);
    const lows = r.levels.filter((l) => l.side === 'low').map((l) => l.setpoint);
    if (highs.length > 0 && lows.length > 0 && Math.max(...lows) >= Math.min(...highs))
      ctx.addIssue({
        code: 'custom',
        path: ['levels'],
        message: 'every low setpoint must be below every high setpoint (otherwise the point is always in alarm)',
      });
  });
export type ThresholdRule = z.infer<typeof ThresholdRuleSchema>;

// ---------------------------------------------------------------- rate of change

export const RateLevelSchema = z
  .object({
    name: LevelNameSchema,
    colour: ColourSchema,
    /** rise: value − lowest value in the window; fall: highest value in the window − value. */
    direction: z.enum(['rise', 'fall']),
    /** Change within the window that activates the level, in the point's unit (> 0). */
    delta: z.number().finite().positive('delta must be above 0'),
  })
  .strict();
export const RateOfChangeRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('rate_of_change'),
    category: AlarmCategorySchema.default('process'),
    pointId: PointIdSchema,
    windowMs: positiveMs('windowMs', MAX_DAY_MS),
    levels: z.array(RateLevelSchema).min(1, 'a rate-of-change rule needs at least one level').max(8),
    /** A level clears when the change falls below delta − deadband. */
    deadband: z.number().finite().min(0, 'deadband must not be negative').default(0),
  })
  .strict()
  .superRefine((r, ctx) => {
    checkUniqueNames(
      r.levels.map((l) => l.name),
      ['levels'],
      ctx,
    );
    r.levels.forEach((l, i) => {
      if (r.deadband >= l.delta)
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'delta'], message: `delta (${l.delta}) must be above the deadband (${r.deadband})` });
    });
  });
export type RateOfChangeRule = z.infer<typeof RateOfChangeRuleSchema>;

// ---------------------------------------------------------------- fault kinds (kept apart from process alarms)

const faultCategory = z
  .enum(['fault', 'offline'], { error: 'a fault rule (interruption, stuck, out_of_range, device_fault) must have category fault or offline' })
  .default('fault');

export const InterruptionRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('interruption'),
    category: faultCategory,
    /** Each point is its own alarm subject. */
    pointIds: pointIdList,
    /** No reading for this long raises the alarm (1 s gas detectors: tens of seconds; dams: hours). */
    timeoutMs: positiveMs('timeoutMs'),
    level: AlarmLevelSchema.default({ name: 'INTERRUPTION', colour: 'yellow' }),
  })
  .strict();
export type InterruptionRule = z.infer<typeof InterruptionRuleSchema>;

export const StuckRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('stuck'),
    category: faultCategory,
    pointIds: pointIdList,
    /** Good readings staying within a band of this width for `durationMs` are a flatline. */
    tolerance: z.number().finite().min(0, 'tolerance must not be negative'),
    durationMs: positiveMs('durationMs'),
    level: AlarmLevelSchema.default({ name: 'STUCK', colour: 'yellow' }),
  })
  .strict();
export type StuckRule = z.infer<typeof StuckRuleSchema>;

export const OutOfRangePointSchema = z
  .object({ pointId: PointIdSchema, rangeMin: finite('rangeMin'), rangeMax: finite('rangeMax') })
  .strict()
  .refine((p) => p.rangeMin < p.rangeMax, { message: 'rangeMin must be below rangeMax', path: ['rangeMax'] });
export const OutOfRangeRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('out_of_range'),
    category: faultCategory,
    /** The instrument range of each point (a value outside it is a sensor fault, not a reading). */
    points: z
      .array(OutOfRangePointSchema)
      .min(1, 'list at least one point')
      .max(1000)
      .refine((ps) => new Set(ps.map((p) => p.pointId)).size === ps.length, 'point ids must not repeat'),
    /** Tolerated excursion beyond the range (zero drift, overrange), in the point's unit. */
    margin: z.number().finite().min(0, 'margin must not be negative').default(0),
    level: AlarmLevelSchema.default({ name: 'OUT_OF_RANGE', colour: 'yellow' }),
  })
  .strict();
export type OutOfRangeRule = z.infer<typeof OutOfRangeRuleSchema>;

export const DeviceFaultRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('device_fault'),
    category: faultCategory,
    pointIds: pointIdList,
    level: AlarmLevelSchema.default({ name: 'DEVICE_FAULT', colour: 'yellow' }),
  })
  .strict();
export type DeviceFaultRule = z.infer<typeof DeviceFaultRuleSchema>;

// ---------------------------------------------------------------- conditions shared by interlock and composite

/** above: >, at_least: ≥, below: <, at_most: ≤, equals / not_equals: exact (states are small integers). */
export const ComparisonSchema = z.enum(['above', 'at_least', 'below', 'at_most', 'equals', 'not_equals']);
export type Comparison = z.infer<typeof ComparisonSchema>;

/** A condition on the last value of one point (`{ pointId: 7, cmp: 'at_least', value: 50 }`). */
export const PointConditionSchema = z.object({ pointId: PointIdSchema, cmp: ComparisonSchema, value: finite('value') }).strict();
export type PointCondition = z.infer<typeof PointConditionSchema>;

// ---------------------------------------------------------------- interlock

export const InterlockRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('interlock'),
    category: AlarmCategorySchema.default('interlock'),
    /** Trigger inputs, one condition each (e.g. three detectors `at_least 50`). */
    triggers: z
      .array(PointConditionSchema)
      .min(1, 'an interlock needs at least one trigger input')
      .max(32, 'at most 32 trigger inputs')
      .refine((ts) => new Set(ts.map((t) => t.pointId)).size === ts.length, 'a trigger point must appear only once'),
    /** k of k-out-of-n voting (n = number of triggers): 1 for 1oo2, 2 for 2oo3. */
    votesToTrip: z.number().int().min(1, 'votesToTrip must be at least 1'),
    /**
     * How a faulty, never-seen or stale trigger input votes: `trip` (fail-safe: counts as a
     * trip vote) or `ignore` (counts as no vote; k stays the same, so 2oo3 acts as 2oo2).
     */
    faultyInputVotes: z.enum(['trip', 'ignore']),
    /**
     * An input with no reading for this long counts as faulty, and an input never seen counts as
     * faulty this long after the rule starts (a start-up grace); null: a last value holds for ever
     * and a never-seen input is faulty at once.
     */
    staleAfterMs: positiveMs('staleAfterMs').nullable().default(null),
    /** What the interlock must achieve while tripped (valve closed: `equals 0`; pressure falling: `below 0.5`). */
    action: PointConditionSchema,
    /** The action must be achieved within this time of the trip, or the action alarm is raised. */
    responseMs: positiveMs('responseMs', MAX_DAY_MS),
    /** Bypass switch: bypassed when this condition holds; a faulty or unknown bypass point counts as bypassed. */
    bypass: PointConditionSchema.nullable().default(null),
    actionLevel: AlarmLevelSchema.default({ name: 'ACTION_FAILED', colour: 'red' }),
    bypassLevel: AlarmLevelSchema.default({ name: 'BYPASSED_ON_DEMAND', colour: 'orange' }),
    /** Optionally an alarm for the trip itself (the demand), apart from the failure to act. */
    tripLevel: AlarmLevelSchema.nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.votesToTrip > r.triggers.length)
      ctx.addIssue({
        code: 'custom',
        path: ['votesToTrip'],
        message: `votesToTrip (${r.votesToTrip}) cannot exceed the number of triggers (${r.triggers.length})`,
      });
    const names = [r.actionLevel.name, r.bypassLevel.name, ...(r.tripLevel ? [r.tripLevel.name] : [])];
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', path: ['actionLevel', 'name'], message: 'actionLevel, bypassLevel and tripLevel need distinct names' });
  });
export type InterlockRule = z.infer<typeof InterlockRuleSchema>;

// ---------------------------------------------------------------- composite

/** Leaf of a composite expression: a condition on one point. */
export const ConditionLeafSchema = z.object({ op: z.literal('cond'), pointId: PointIdSchema, cmp: ComparisonSchema, value: finite('value') }).strict();

export type ConditionLeaf = z.infer<typeof ConditionLeafSchema>;

/**
 * A boolean expression tree over point conditions (`cond`, `and`, `or`, `not`). A leaf whose
 * point is faulty or unknown is unknown, and unknowns propagate by three-valued logic.
 *
 * The one type here not inferred from its schema: a recursive schema's inferred type is cut to
 * `any` in emitted declarations (`tsc -b`), so the recursion is spelled out and the schema is
 * annotated with it; the leaf still comes from `z.infer`.
 */
export type ConditionExpression =
  | ConditionLeaf
  | { op: 'and'; args: ConditionExpression[] }
  | { op: 'or'; args: ConditionExpression[] }
  | { op: 'not'; arg: ConditionExpression };

export const ConditionExpressionSchema: z.ZodType<ConditionExpression, ConditionExpression> = z.discriminatedUnion(
  'op',
  [
    ConditionLeafSchema,
    z
      .object({
        op: z.literal('and'),
        get args() {
          return z.array(ConditionExpressionSchema).min(1, 'and needs at least one argument').max(32, 'at most 32 arguments');
        },
      })
      .strict(),
    z
      .object({
        op: z.literal('or'),
        get args() {
          return z.array(ConditionExpressionSchema).min(1, 'or needs at least one argument').max(32, 'at most 32 arguments');
        },
      })
      .strict(),
    z
      .object({
        op: z.literal('not'),
        get arg() {
          return ConditionExpressionSchema;
        },
      })
      .strict(),
  ],
  { error: (iss) => (iss.code === 'invalid_union' ? 'expression op must be one of cond, and, or, not' : undefined) },
);

/** Nesting depth of an expression (a leaf is 1). */
export function expressionDepth(e: ConditionExpression): number {
  switch (e.op) {
    case 'cond':
      return 1;
    case 'not':
      return 1 + expressionDepth(e.arg);
    default:
      return 1 + Math.max(...e.args.map(expressionDepth));
  }
}

/** Distinct point ids an expression reads, in first-use order. */
export function expressionPointIds(e: ConditionExpression): number[] {
  switch (e.op) {
    case 'cond':
      return [e.pointId];
    case 'not':
      return expressionPointIds(e.arg);
    default:
      return [...new Set(e.args.flatMap(expressionPointIds))];
  }
}

/** Deepest composite expression accepted; bounds the work of one evaluation. */
export const MAX_EXPRESSION_DEPTH = 8;

export const CompositeRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('composite'),
    category: AlarmCategorySchema.default('process'),
    expression: ConditionExpressionSchema,
    /** The expression must hold this long before the alarm is raised (added to onDelayMs). */
    durationMs: nonNegMs('durationMs', MAX_DAY_MS),
    /** An input with no reading for this long is unknown; null: its last value holds. */
    staleAfterMs: positiveMs('staleAfterMs').nullable().default(null),
    /** What an unknown result means: hold the alarm as it is (default), or count as true / false. */
    unknownAs: z.enum(['hold', 'true', 'false']).default('hold'),
    level: AlarmLevelSchema,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (expressionDepth(r.expression) > MAX_EXPRESSION_DEPTH)
      ctx.addIssue({ code: 'custom', path: ['expression'], message: `expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels` });
  });
export type CompositeRule = z.infer<typeof CompositeRuleSchema>;

// ---------------------------------------------------------------- tailings dam

/** Warning values per colour (GB 39496-2020 §5.5.4: the designer sets each item's values); null: not graded. */
export const TailingsGradesSchema = z
  .object({
    blue: finite('blue').nullable().default(null),
    yellow: finite('yellow').nullable().default(null),
    orange: finite('orange').nullable().default(null),
    red: finite('red').nullable().default(null),
  })
  .strict()
  .refine((g) => g.blue !== null || g.yellow !== null || g.orange !== null || g.red !== null, 'set at least one grade value');
export type TailingsGrades = z.infer<typeof TailingsGradesSchema>;

/**
 * Monitoring items and which way is dangerous: freeboard, beach length and phreatic depth are
 * dangerous when small (warn at value ≤ grade); the others when large (warn at value ≥ grade).
 */
export const TAILINGS_LOW_IS_DANGEROUS = ['freeboard', 'beach_length', 'phreatic_depth'] as const;

const RainWindowSchema = z.object({ windowMs: positiveMs('windowMs', MAX_DAY_MS * 3), grades: TailingsGradesSchema }).strict();

export const TailingsItemSchema = z.discriminatedUnion(
  'measure',
  [
    /** Freeboard (安全超高) = crest elevation − pond level; the points are pond level gauges (m). */
    z
      .object({ measure: z.literal('freeboard'), crestElevationM: finite('crestElevationM'), grades: TailingsGradesSchema })
      .strict(),
    /** Dry beach length (m). */
    z
      .object({ measure: z.literal('beach_length'), grades: TailingsGradesSchema })
      .strict(),
    /** Phreatic line burial depth below the dam surface (m). */
    z
      .object({ measure: z.literal('phreatic_depth'), grades: TailingsGradesSchema })
      .strict(),
    /** Pond level against design flood / control levels (m). */
    z
      .object({ measure: z.literal('pond_level'), grades: TailingsGradesSchema })
      .strict(),
    /** Accumulated displacement (mm). */
    z
      .object({ measure: z.literal('displacement'), grades: TailingsGradesSchema })
      .strict(),
    /** Displacement change within `windowMs` (mm per window). */
    z
      .object({ measure: z.literal('displacement_rate'), windowMs: positiveMs('windowMs', MAX_DAY_MS * 3), grades: TailingsGradesSchema })
      .strict(),
    /**
     * Rainfall accumulated over trailing windows (e.g. 1 h, 12 h, 24 h); the worst window decides.
     * `increment`: each reading is the rain since the previous one; `cumulative`: a counter
     * (a drop means the counter was reset, and the new value is the rain since).
     */
    z
      .object({
        measure: z.literal('rainfall'),
        reading: z.enum(['increment', 'cumulative']).default('increment'),
        windows: z.array(RainWindowSchema).min(1, 'list at least one rainfall window').max(6),
      })
      .strict(),
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'measure must be one of freeboard, beach_length, phreatic_depth, pond_level, displacement, displacement_rate, rainfall'
        : undefined,
  },
);
export type TailingsItem = z.infer<typeof TailingsItemSchema>;
export type TailingsMeasure = TailingsItem['measure'];

/**
 * Multi-point aggregation (GB 39496-2020 §5.5.4): `blue: 4` means 4 points at blue or worse make
 * the item yellow; `yellow: 3` → orange; `orange: 2` → red. Null disables a step. A policy.
 */
export const TailingsEscalationSchema = z
  .object({
    blue: z.number().int().min(2).nullable().default(4),
    yellow: z.number().int().min(2).nullable().default(3),
    orange: z.number().int().min(2).nullable().default(2),
  })
  .strict();
export type TailingsEscalation = z.infer<typeof TailingsEscalationSchema>;

function checkGradesOrder(g: TailingsGrades, lowIsDangerous: boolean, path: (string | number)[], ctx: z.RefinementCtx): void {
  const present = (['blue', 'yellow', 'orange', 'red'] as const).flatMap((c) => (g[c] === null ? [] : [{ c, v: g[c] }]));
  for (let i = 1; i < present.length; i++) {
    const a = present[i - 1];
    const b = present[i];
    if (!a || !b || a.v === null || b.v === null) continue;
    const ok = lowIsDangerous ? b.v < a.v : b.v > a.v;
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        path: [...path, b.c],
        message: `${b.c} (${b.v}) must be ${lowIsDangerous ? 'below' : 'above'} ${a.c} (${a.v}): ${lowIsDangerous ? 'a smaller value is more dangerous for this item' : 'a larger value is more dangerous for this item'}`,
      });
  }
}

/** The fields that define one monitoring item over its points (a `tailings` rule, or one item of a `tailings_dam` rule). */
const tailingsItemFields = {
  /** Measuring points of one monitoring item; each is graded, then the item aggregates them. */
  pointIds: pointIdList,
  item: TailingsItemSchema,
  /** Hysteresis for a point to leave a grade, in the item's unit. */
  deadband: z.number().finite().min(0, 'deadband must not be negative').default(0),
  escalation: TailingsEscalationSchema.default({ blue: 4, yellow: 3, orange: 2 }),
};

function checkItemGrades(item: TailingsItem, path: (string | number)[], ctx: z.RefinementCtx): void {
  const low = (TAILINGS_LOW_IS_DANGEROUS as readonly string[]).includes(item.measure);
  if (item.measure === 'rainfall')
    item.windows.forEach((w, i) => {
      checkGradesOrder(w.grades, false, [...path, 'windows', i, 'grades'], ctx);
    });
  else checkGradesOrder(item.grades, low, [...path, 'grades'], ctx);
}

export const TailingsRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('tailings'),
    category: AlarmCategorySchema.default('dam'),
    ...tailingsItemFields,
  })
  .strict()
  .superRefine((r, ctx) => {
    checkItemGrades(r.item, ['item'], ctx);
  });
export type TailingsRule = z.infer<typeof TailingsRuleSchema>;

/**
 * Key of an item within a dam rule: its alarm subject is `rule:<ruleId>:<key>`. At most 24
 * characters, so a transition id stays within 200 characters with a 64-character rule id.
 */
export const TailingsItemKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$/, 'item key must be 1-24 characters of A-Z a-z 0-9 _ - starting with a letter or digit');

/** One monitoring item of a dam: a key, an optional display name, and the single-item definition. */
export const TailingsDamItemSchema = z
  .object({
    key: TailingsItemKeySchema,
    name: z.string().min(1).max(100).optional(),
    ...tailingsItemFields,
  })
  .strict();
export type TailingsDamItem = z.infer<typeof TailingsDamItemSchema>;

/**
 * A whole tailings dam (GB 39496-2020 §5.5.4): every monitoring item is graded and aggregated
 * over its points as a `tailings` rule does (one alarm per item, `rule:<id>:<key>`), and the
 * dam's overall level (`rule:<id>`) is the worst item's, raised by `escalation` counted in items
 * (4 items at blue or worse → yellow, 3 at yellow or worse → orange, 2 at orange or worse → red by
 * default; null disables a step). One rule for the whole dam keeps the evaluation of all items and
 * the dam level atomic and in order within the hazard source's partition.
 */
export const TailingsDamRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('tailings_dam'),
    category: AlarmCategorySchema.default('dam'),
    items: z
      .array(TailingsDamItemSchema)
      .min(1, 'list at least one monitoring item')
      .max(32, 'at most 32 monitoring items per dam')
      .refine((items) => new Set(items.map((i) => i.key)).size === items.length, 'item keys must not repeat'),
    /** Item-count policy of the dam level: the counts are of items, not points. */
    escalation: TailingsEscalationSchema.default({ blue: 4, yellow: 3, orange: 2 }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.hazardSourceId === null)
      ctx.addIssue({ code: 'custom', path: ['hazardSourceId'], message: 'a tailings_dam rule is about one dam: give its hazard source' });
    r.items.forEach((item, i) => {
      checkItemGrades(item.item, ['items', i, 'item'], ctx);
    });
  });
export type TailingsDamRule = z.infer<typeof TailingsDamRuleSchema>;

/** Distinct point ids a dam rule reads (a pond gauge may serve freeboard and pond level), in first-use order. */
export function tailingsDamPointIds(rule: Pick<TailingsDamRule, 'items'>): number[] {
  return [...new Set(rule.items.flatMap((i) => i.pointIds))];
}

// ---------------------------------------------------------------- vehicle

const LonLatSchema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)], { error: 'a coordinate is [lon, lat] in degrees' });
/** Closed ring of [lon, lat] (GeoJSON order, first = last). */
export const PolygonRingSchema = z
  .array(LonLatSchema)
  .min(4, 'a polygon ring needs at least 4 positions (first = last)')
  .max(10_000)
  .refine((ring) => ring[0]?.[0] === ring.at(-1)?.[0] && ring[0]?.[1] === ring.at(-1)?.[1], 'polygon ring must be closed (first position = last)');
/** Polyline of [lon, lat]. */
export const PolylineSchema = z.array(LonLatSchema).min(2, 'a line needs at least 2 positions').max(100_000);
export const ZoneSchema = z.object({ id: GeofenceIdSchema, name: z.string().min(1).max(200), polygon: PolygonRingSchema }).strict();
export type Zone = z.infer<typeof ZoneSchema>;

/** Time of day `HH:MM` (00:00-24:00). */
const TimeOfDaySchema = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'time of day must be HH:MM (00:00-24:00)');

/** Below this speed (or with ACC off) a vehicle counts as stopped; GNSS jitter reads a few km/h at rest. */
const stopSpeedKmh = z.number().min(0).max(30).default(5);

export const VehicleCheckSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('overspeed'),
        limitsKmh: z.object({ expressway: z.number().positive(), other: z.number().positive() }).strict().default({ expressway: 80, other: 60 }),
        /** Expressway corridors; a position within `widthM` of a line is on an expressway. */
        expressways: z
          .array(z.object({ line: PolylineSchema, widthM: z.number().positive().max(5000) }).strict())
          .max(1000)
          .default([]),
        /** Road class where no expressway corridor matches. */
        defaultRoadClass: z.enum(['expressway', 'other']).default('other'),
        /** Speed must stay above the limit this long (added to onDelayMs). */
        durationMs: nonNegMs('durationMs', MAX_DAY_MS),
        level: AlarmLevelSchema.default({ name: 'OVERSPEED', colour: 'orange' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('fatigue'),
        /** Continuous driving (since the last long-enough rest) that raises the alarm. */
        maxDrivingMs: positiveMs('maxDrivingMs', MAX_DAY_MS),
        /** A stop at least this long is a rest and ends the driving period. */
        minRestMs: positiveMs('minRestMs', MAX_DAY_MS),
        stopSpeedKmh,
        level: AlarmLevelSchema.default({ name: 'FATIGUE', colour: 'orange' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('geofence'),
        zones: z.array(ZoneSchema).min(1, 'list at least one no-entry zone').max(1000),
        level: AlarmLevelSchema.default({ name: 'NO_ENTRY', colour: 'orange' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('corridor'),
        /** Planned route. */
        line: PolylineSchema,
        /** Distance from the route beyond which the vehicle has deviated (the corridor's half-width). */
        maxDistanceM: z.number().positive().max(50_000),
        level: AlarmLevelSchema.default({ name: 'ROUTE_DEVIATION', colour: 'yellow' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('forbidden_hours'),
        /** Local-time windows in which a moving vehicle is in violation; `from` > `to` wraps midnight. */
        windows: z
          .array(
            z
              .object({ from: TimeOfDaySchema, to: TimeOfDaySchema })
              .strict()
              .refine((w) => w.from !== w.to, 'from and to must differ'),
          )
          .min(1, 'list at least one window')
          .max(24),
        /** Fixed offset of local time from UTC (China: +480, no daylight saving). */
        utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
        stopSpeedKmh,
        level: AlarmLevelSchema.default({ name: 'FORBIDDEN_HOURS', colour: 'yellow' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('long_stop'),
        maxStopMs: positiveMs('maxStopMs', MAX_DAY_MS),
        stopSpeedKmh,
        /** Planned stopping places (depots, loading bays): a stop inside one is never unplanned. */
        allowedAreas: z.array(ZoneSchema).max(1000).default([]),
        level: AlarmLevelSchema.default({ name: 'LONG_STOP', colour: 'yellow' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('offline'),
        /** No position for this long raises the alarm. */
        timeoutMs: positiveMs('timeoutMs'),
        level: AlarmLevelSchema.default({ name: 'POSITIONING_OFFLINE', colour: 'yellow' }),
      })
      .strict(),
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union' ? 'check type must be one of overspeed, fatigue, geofence, corridor, forbidden_hours, long_stop, offline' : undefined,
  },
);
export type VehicleCheck = z.infer<typeof VehicleCheckSchema>;

export const VehicleRuleSchema = z
  .object({
    ...commonFields,
    kind: z.literal('vehicle'),
    category: AlarmCategorySchema.default('vehicle'),
    check: VehicleCheckSchema,
  })
  .strict();
export type VehicleRule = z.infer<typeof VehicleRuleSchema>;

// ---------------------------------------------------------------- the document

export const RULE_KINDS = [
  'threshold',
  'rate_of_change',
  'interruption',
  'stuck',
  'out_of_range',
  'device_fault',
  'interlock',
  'composite',
  'tailings',
  'tailings_dam',
  'vehicle',
] as const;

/** A rule document of any kind, discriminated on `kind`. */
export const RuleDocumentSchema = z
  .discriminatedUnion(
    'kind',
    [
      ThresholdRuleSchema,
      RateOfChangeRuleSchema,
      InterruptionRuleSchema,
      StuckRuleSchema,
      OutOfRangeRuleSchema,
      DeviceFaultRuleSchema,
      InterlockRuleSchema,
      CompositeRuleSchema,
      TailingsRuleSchema,
      TailingsDamRuleSchema,
      VehicleRuleSchema,
    ],
    { error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of ${RULE_KINDS.join(', ')}` : undefined) },
  )
  .superRefine((r, ctx) => {
    if (r.kind !== 'vehicle' && r.vehicleId !== null)
      ctx.addIssue({ code: 'custom', path: ['vehicleId'], message: 'vehicleId is only for vehicle rules; leave it null' });
  });
export type RuleDocument = z.infer<typeof RuleDocumentSchema>;
/** What a client may send: defaults not yet applied. */
export type RuleDocumentInput = z.input<typeof RuleDocumentSchema>;
export type RuleKind = RuleDocument['kind'];

/** Outcome of {@link parseRuleDocument}: the rule, or readable reasons (`path: message`) for a 4xx. */
export type RuleParseResult = { success: true; rule: RuleDocument } | { success: false; reasons: string[] };

/** Validates a rule document and turns zod issues into one readable line each. */
export function parseRuleDocument(input: unknown): RuleParseResult {
  const r = RuleDocumentSchema.safeParse(input);
  if (r.success) return { success: true, rule: r.data };
  return {
    success: false,
    reasons: r.error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)),
  };
}
