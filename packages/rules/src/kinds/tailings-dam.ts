import { type Colour, type TailingsDamItem, type TailingsDamRule, tailingsDamPointIds } from '@hazardwatch/contracts';
import type { KindMemory, TailingsDamMemory, TailingsItemMemory } from '../state.js';
import { cachedOps, type KindOps, type Observation, ruleSubject } from './kind-engine.js';
import {
  activeUpTo,
  COLOURS,
  carryTailingsItemMemory,
  escalate,
  type ItemAssessment,
  initTailingsItemMemory,
  TAILINGS_LEVELS,
  type TailingsItemOps,
  tailingsItemOps,
} from './tailings.js';

export function initTailingsDamMemory(rule: TailingsDamRule): TailingsDamMemory {
  const items: Record<string, TailingsItemMemory> = {};
  for (const def of rule.items) items[def.key] = initTailingsItemMemory(def);
  return { kind: 'tailings_dam', items };
}

/**
 * Each item keeps the facts of the item with the same key (or, from a single-item `tailings`
 * version, of that item) when its measure is unchanged; see {@link carryTailingsItemMemory}.
 */
export function carryTailingsDamMemory(rule: TailingsDamRule, old: KindMemory): TailingsDamMemory {
  const items: Record<string, TailingsItemMemory> = {};
  for (const def of rule.items)
    items[def.key] = carryTailingsItemMemory(def, old.kind === 'tailings_dam' ? old.items[def.key] : old.kind === 'tailings' ? old : undefined);
  return { kind: 'tailings_dam', items };
}

type BoundItem = {
  readonly def: TailingsDamItem;
  readonly key: string;
  readonly label: string;
  readonly subject: string;
  readonly pointIds: readonly number[];
  readonly watched: ReadonlySet<number>;
  readonly ops: TailingsItemOps;
};

/** The dam level from its items' grades: the worst item, raised by the item-count policy. */
function damLevel(rule: TailingsDamRule, grades: readonly (Colour | null)[]): { grade: Colour | null; escalated: string[] } {
  return escalate(grades, rule.escalation, 'items');
}

/**
 * A whole tailings dam (GB 39496-2020 §5.5.4): each item is a `tailings` item with its own alarm
 * (`rule:<id>:<key>`), and the dam has one more (`rule:<id>`) at the worst item's grade, raised
 * by the item-count policy (4 items at blue or worse → yellow, 3 at yellow → orange, 2 at
 * orange → red by default). The dam level is taken from the items' grades at the same instant
 * (before the alarm delays, which apply to the dam as to every item), so it is never below the
 * worst item's; while any item holds (a point faulty or not yet reported) the dam holds too.
 */
const cache = new WeakMap<TailingsDamRule, KindOps<TailingsDamMemory>>();

export function tailingsDamOps(rule: TailingsDamRule): KindOps<TailingsDamMemory> {
  return cachedOps(cache, rule, () => build(rule));
}

function build(rule: TailingsDamRule): KindOps<TailingsDamMemory> {
  const damSubject = ruleSubject(rule.id);
  const damPoints = tailingsDamPointIds(rule);
  const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
  const items: BoundItem[] = rule.items.map((def) => ({
    def,
    key: def.key,
    label: def.name ?? def.key,
    subject: ruleSubject(rule.id, def.key),
    pointIds: def.pointIds,
    watched: new Set(def.pointIds),
    ops: tailingsItemOps(def),
  }));
  const bySubject = new Map(items.map((i) => [i.subject, i]));

  // A stored memory always has every item (init and carry make them); a missing one starts empty.
  const memOf = (mem: TailingsDamMemory, i: BoundItem): TailingsItemMemory => {
    let m = mem.items[i.key];
    if (m === undefined) {
      m = initTailingsItemMemory(i.def);
      mem.items[i.key] = m;
    }
    return m;
  };

  const describeDam = (assessments: readonly ItemAssessment[]): string => {
    const dam = damLevel(
      rule,
      assessments.map((a) => a.grade),
    );
    const byGrade = [...COLOURS]
      .reverse()
      .map((colour) => {
        const keys = items.filter((_, n) => assessments[n]?.grade === colour).map((i) => i.key);
        return keys.length > 0 ? `${colour} ${keys.join(', ')}` : '';
      })
      .filter((s) => s !== '');
    const quiet = assessments.filter((a) => a.grade === null).length;
    const parts = [`dam ${dam.grade ?? 'normal'}`];
    if (dam.escalated.length > 0) parts.push(dam.escalated.join('; '));
    parts.push(`items ${[...byGrade, `${quiet} normal`].join('; ')}`);
    return parts.join('; ');
  };

  return {
    levels: TAILINGS_LEVELS,
    onReading(mem, r, t) {
      for (const i of items) if (i.watched.has(r.pointId)) i.ops.onReading(memOf(mem, i), r, t);
    },
    onPosition() {},
    observe(mem, t): Observation[] {
      const out: Observation[] = [];
      const grades: (Colour | null)[] = [];
      let hold = false;
      for (const i of items) {
        const a = i.ops.observe(memOf(mem, i), t);
        grades.push(a.grade);
        if (a.hold) hold = true;
        out.push({ subject: i.subject, active: activeUpTo(a.grade), hold: a.hold, value: a.worst?.value ?? null, pointIds: i.pointIds, vehicleId: null });
      }
      // Items first, then the dam: at one instant the item transitions precede the dam's.
      const dam = damLevel(rule, grades);
      out.push({ subject: damSubject, active: activeUpTo(dam.grade), hold, value: null, pointIds: damPoints, vehicleId: null });
      return out;
    },
    nextChange(mem, t) {
      let next: number | null = null;
      for (const i of items) {
        const d = i.ops.nextChange(memOf(mem, i), t);
        if (d !== null && (next === null || d < next)) next = d;
      }
      return next;
    },
    ownsSubject: (s) => s === damSubject || bySubject.has(s),
    delays: () => delays,
    describe(mem, subject, t) {
      const item = bySubject.get(subject);
      if (item) return `${item.label}: ${item.ops.describe(memOf(mem, item), t)}`;
      return describeDam(items.map((i) => i.ops.assess(memOf(mem, i), t)));
    },
  };
}
