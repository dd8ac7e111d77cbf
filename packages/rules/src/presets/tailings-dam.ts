import { HazardSourceIdSchema, TailingsEscalationSchema } from '@hazardwatch/contracts';
import { baseFields, definePreset, PresetBaseParamsSchema } from './preset.js';
import {
  BeachItemParams,
  beachItem,
  DamSchema,
  DisplacementItemParams,
  DisplacementRateItemParams,
  displacementItem,
  displacementRateItem,
  FreeboardItemParams,
  freeboardItem,
  freeboardRedMissing,
  PhreaticItemParams,
  PondLevelItemParams,
  phreaticItem,
  pondLevelItem,
  RainfallItemParams,
  rainfallItem,
} from './tailings.js';

const SOURCE =
  'GB 39496-2020 §5.5.4: warning levels aggregated over an item’s points and over the dam’s items (counts a policy, default 4 blue → yellow, 3 yellow → orange, 2 orange → red); item values per GB 51108-2015 §8.3';

/** The items the preset knows, with the key each gets in the document (its alarm is `rule:<id>:<key>`). */
const ITEMS = [
  { param: 'freeboard', key: 'freeboard', name: 'Freeboard (GB 51108 §8.3)' },
  { param: 'beach', key: 'beach', name: 'Dry beach length (GB 51108 §8.3)' },
  { param: 'pondLevel', key: 'pond-level', name: 'Pond level (GB 51108 §8.3)' },
  { param: 'phreatic', key: 'phreatic', name: 'Phreatic line depth (GB 51108 §8.3)' },
  { param: 'rainfall', key: 'rainfall', name: 'Rainfall (GB 51108 §8.3)' },
  { param: 'displacement', key: 'displacement', name: 'Displacement (GB 51108 §8.3)' },
  { param: 'displacementRate', key: 'displacement-rate', name: 'Displacement rate (GB 51108 §8.3)' },
] as const;

/**
 * A whole tailings dam in one `tailings_dam` rule (GB 39496-2020 §5.5.4, GB 51108-2015 §8.3):
 * each monitoring item given is graded blue / yellow / orange / red from the same design values
 * as its single-item preset (tailings.ts: freeboard and dry beach red = the GB 50863 minimum
 * for the dam's grade and type [unconfirmed, overridable]; phreatic orange = 1.1 × the design
 * minimum burial depth; rainfall yellow at 12 h ≥ 30 mm or 24 h ≥ 50 mm; displacement orange =
 * 80 % of red) and aggregated over its points; the dam level is the worst item's, raised by the
 * item-count policy `escalation`.
 *
 * Policy (GB 39496 §5.5.4 gives the pattern, the counts are the operator's choice): 4 items at
 * blue or worse make the dam yellow, 3 at yellow or worse orange, 2 at orange or worse red, one
 * step each and counted on the items' own grades; a count of null switches that step off. Each
 * item has the same policy over its points (`escalation` inside the item). One item per measure
 * here; a dam with two groups of one measure (crest GNSS and inclinometers) is written as a
 * document with two items.
 */
export const tailingsDamPreset = definePreset({
  id: 'tailings-dam',
  title: 'Tailings dam overall warning level (GB 39496 §5.5.4, GB 51108 §8.3)',
  description:
    'One rule for a dam: an alarm per monitoring item (freeboard, dry beach, pond level, phreatic line, rainfall, displacement, displacement rate) and the dam’s overall level, the worst item raised by counts of items (policy: 4 blue → yellow, 3 yellow → orange, 2 orange → red).',
  source: SOURCE,
  kind: 'tailings_dam',
  params: PresetBaseParamsSchema.extend({
    /** A dam rule is placed by its dam. */
    hazardSourceId: HazardSourceIdSchema,
    dam: DamSchema,
    /** Item-count policy of the dam level (GB 39496-2020 §5.5.4); default 4 / 3 / 2. */
    escalation: TailingsEscalationSchema.optional(),
    freeboard: FreeboardItemParams.optional(),
    beach: BeachItemParams.optional(),
    pondLevel: PondLevelItemParams.optional(),
    phreatic: PhreaticItemParams.optional(),
    rainfall: RainfallItemParams.optional(),
    displacement: DisplacementItemParams.optional(),
    displacementRate: DisplacementRateItemParams.optional(),
  })
    .strict()
    .superRefine((p, ctx) => {
      if (ITEMS.every((i) => p[i.param] === undefined))
        ctx.addIssue({ code: 'custom', path: [], message: `give at least one monitoring item: ${ITEMS.map((i) => i.param).join(', ')}` });
      const missing = p.freeboard ? freeboardRedMissing(p.dam, p.freeboard.redM) : null;
      if (missing) ctx.addIssue({ code: 'custom', path: ['freeboard', 'redM'], message: missing });
    }),
  build: (p) => {
    const built = {
      freeboard: p.freeboard && freeboardItem(p.freeboard, p.dam),
      beach: p.beach && beachItem(p.beach, p.dam),
      pondLevel: p.pondLevel && pondLevelItem(p.pondLevel),
      phreatic: p.phreatic && phreaticItem(p.phreatic),
      rainfall: p.rainfall && rainfallItem(p.rainfall),
      displacement: p.displacement && displacementItem(p.displacement),
      displacementRate: p.displacementRate && displacementRateItem(p.displacementRate),
    };
    return {
      ...baseFields(p, 'Tailings dam', SOURCE),
      kind: 'tailings_dam',
      category: 'dam',
      ...(p.escalation ? { escalation: p.escalation } : {}),
      items: ITEMS.flatMap((def) => {
        const item = built[def.param];
        return item ? [{ key: def.key, name: def.name, ...item }] : [];
      }),
    };
  },
});
