import {
  type Colour,
  ColourSchema,
  type JobReading,
  SEVERITY_OF_COLOUR,
  TAILINGS_LOW_IS_DANGEROUS,
  type TailingsEscalation,
  type TailingsGrades,
  type TailingsRule,
} from '@hazardwatch/contracts';
import type { KindMemory, TailingsItemMemory, TailingsMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, type Observation, orderLevels, ruleSubject } from './kind-engine.js';
import { pruneToWindow, riseAndFall, sumInWindow, sumNextChange, windowNextChange } from './window.js';

/** Colours from the least to the most severe; tailings levels are named after their colour. */
export const COLOURS: readonly Colour[] = [...ColourSchema.options].sort((a, b) => SEVERITY_OF_COLOUR[a] - SEVERITY_OF_COLOUR[b]);
/** The levels of every tailings alarm (items and dams): blue, yellow, orange, red. */
export const TAILINGS_LEVELS = orderLevels(COLOURS.map((colour) => ({ name: colour, colour })));
const ACTIVE_UP_TO: ReadonlyMap<Colour | null, readonly string[]> = new Map<Colour | null, readonly string[]>([
  [null, []],
  ...COLOURS.map((c, i) => [c, COLOURS.slice(0, i + 1)] as [Colour, readonly string[]]),
]);
/** The active levels of a graded subject: every level up to its grade. */
export const activeUpTo = (grade: Colour | null): readonly string[] => ACTIVE_UP_TO.get(grade) ?? [];
export const rank = (c: Colour | null | undefined): number => (c ? SEVERITY_OF_COLOUR[c] : 0);

/** What defines one monitoring item: a `tailings` rule, or one item of a `tailings_dam` rule. */
export type TailingsItemDefinition = Pick<TailingsRule, 'pointIds' | 'item' | 'deadband' | 'escalation'>;

/**
 * The count policy shared by points within an item and items within a dam (GB 39496-2020
 * §5.5.4): the worst grade, raised one step each when `policy[from]` members are at `from` or
 * worse (counts of the members' own grades, not of raised ones). `noun` names the members in
 * the explanation (`4 points at blue or worse → yellow`).
 */
export function escalate(grades: readonly (Colour | null)[], policy: TailingsEscalation, noun: string): { grade: Colour | null; escalated: string[] } {
  let grade: Colour | null = null;
  for (const g of grades) if (rank(g) > rank(grade)) grade = g;
  const escalated: string[] = [];
  const bump = (from: Colour, to: Colour, count: number | null) => {
    if (count === null) return;
    const n = grades.filter((g) => rank(g) >= rank(from)).length;
    if (n >= count && rank(grade) < rank(to)) {
      grade = to;
      escalated.push(`${n} ${noun} at ${from} or worse → ${to}`);
    }
  };
  bump('blue', 'yellow', policy.blue);
  bump('yellow', 'orange', policy.yellow);
  bump('orange', 'red', policy.orange);
  return { grade, escalated };
}

export function initTailingsItemMemory(def: TailingsItemDefinition): TailingsItemMemory {
  return { measure: def.item.measure, last: {}, samples: {}, counter: {}, grade: {} };
}

/**
 * Readings, rain and displacement samples and gauge counters are kept for points still
 * listed when the measure is unchanged; point grades (hysteresis) start afresh.
 */
export function carryTailingsItemMemory(def: TailingsItemDefinition, old: TailingsItemMemory | undefined): TailingsItemMemory {
  const mem = initTailingsItemMemory(def);
  if (old === undefined || old.measure !== def.item.measure) return mem;
  for (const id of def.pointIds) {
    const k = String(id);
    const l = old.last[k];
    if (l) mem.last[k] = l;
    const s = old.samples[k];
    if (s) mem.samples[k] = s;
    const n = old.counter[k];
    if (n !== undefined) mem.counter[k] = n;
  }
  return mem;
}

export function initTailingsMemory(rule: TailingsRule): TailingsMemory {
  return { kind: 'tailings', ...initTailingsItemMemory(rule) };
}

export function carryTailingsMemory(rule: TailingsRule, old: KindMemory): TailingsMemory {
  return { kind: 'tailings', ...carryTailingsItemMemory(rule, old.kind === 'tailings' ? old : undefined) };
}

function appendSample(mem: TailingsItemMemory, key: string, t: number, value: number): void {
  const samples = mem.samples[key];
  if (samples) samples.push([t, value]);
  else mem.samples[key] = [[t, value]];
}

/** Grade of one value: the most severe colour whose value is reached, with hysteresis to leave it. */
function gradeOf(value: number, grades: TailingsGrades, low: boolean, deadband: number, previous: Colour | null): Colour | null {
  let grade: Colour | null = null;
  for (const colour of COLOURS) {
    const g = grades[colour];
    if (g === null) continue;
    const held = rank(previous) >= rank(colour);
    const on = low ? value <= (held ? g + deadband : g) : value >= (held ? g - deadband : g);
    if (on) grade = colour;
  }
  return grade;
}

type PointView = { id: number; grade: Colour | null; value: number | null };

/** An item's condition at one time. */
export type ItemAssessment = {
  readonly grade: Colour | null;
  /** The worst point (most severe grade, then most dangerous value). */
  readonly worst: PointView | undefined;
  /** How the multi-point policy raised the grade, one line per step. */
  readonly escalated: readonly string[];
  /** A point is faulty or has not reported: the item may go up but never down. */
  readonly hold: boolean;
  readonly points: readonly PointView[];
};

/** One monitoring item over its own memory: what a `tailings` rule is, and a dam rule has several of. */
export type TailingsItemOps = {
  onReading(mem: TailingsItemMemory, r: JobReading, t: number): void;
  /** Prunes windows, records point grades (hysteresis) and assesses the item at `t`. */
  observe(mem: TailingsItemMemory, t: number): ItemAssessment;
  /** The assessment at `t` without changing memory (for messages). */
  assess(mem: TailingsItemMemory, t: number): ItemAssessment;
  nextChange(mem: TailingsItemMemory, t: number): number | null;
  describe(mem: TailingsItemMemory, t: number): string;
};

/**
 * One tailings monitoring item (GB 51108 §8.3, GB 39496 §5.5.4) over several points: each
 * point is graded blue/yellow/orange/red against the design values, then the item takes the
 * worst point, raised further by the multi-point policy (4 blue → yellow, 3 yellow → orange,
 * 2 orange → red by default; counts are of points at that grade or worse, one step each).
 * While any point is faulty or has not reported, the item may go up but never down.
 */
export function tailingsItemOps(def: TailingsItemDefinition): TailingsItemOps {
  const item = def.item;
  const lowIsDangerous = (TAILINGS_LOW_IS_DANGEROUS as readonly string[]).includes(item.measure);
  const watched = new Set(def.pointIds);
  const maxWindowMs = item.measure === 'rainfall' ? Math.max(...item.windows.map((w) => w.windowMs)) : item.measure === 'displacement_rate' ? item.windowMs : 0;

  const pointView = (mem: TailingsItemMemory, id: number, t: number): PointView => {
    const k = String(id);
    const previous = mem.grade[k] ?? null;
    if (item.measure === 'rainfall') {
      const samples = mem.samples[k] ?? [];
      let grade: Colour | null = null;
      let decidingSum: number | null = null;
      let longest = { windowMs: 0, sum: 0 };
      for (const w of item.windows) {
        const sum = sumInWindow(samples, t, w.windowMs);
        const g = gradeOf(sum, w.grades, false, def.deadband, previous);
        if (rank(g) > rank(grade)) {
          grade = g;
          decidingSum = sum;
        }
        if (w.windowMs > longest.windowMs) longest = { windowMs: w.windowMs, sum };
      }
      return { id, grade, value: mem.last[k] ? (decidingSum ?? longest.sum) : null };
    }
    if (item.measure === 'displacement_rate') {
      const rf = riseAndFall(mem.samples[k] ?? []);
      if (!rf) return { id, grade: previous, value: null };
      const change = Math.max(rf.rise, rf.fall);
      return { id, grade: gradeOf(change, item.grades, false, def.deadband, previous), value: change };
    }
    const l = mem.last[k];
    const good = l?.q === 'good' ? l : undefined;
    if (!good) return { id, grade: previous, value: null };
    const value = item.measure === 'freeboard' ? item.crestElevationM - good.v : good.v;
    return { id, grade: gradeOf(value, item.grades, lowIsDangerous, def.deadband, previous), value };
  };

  const assess = (mem: TailingsItemMemory, t: number): ItemAssessment => {
    const points = def.pointIds.map((id) => pointView(mem, id, t));
    let worst: PointView | undefined;
    let hold = false;
    for (const p of points) {
      if (mem.last[String(p.id)]?.q !== 'good') hold = true;
      if (worst === undefined || rank(p.grade) > rank(worst.grade)) worst = p;
      else if (
        rank(p.grade) === rank(worst.grade) &&
        p.value !== null &&
        (worst.value === null || (lowIsDangerous ? p.value < worst.value : p.value > worst.value))
      )
        worst = p;
    }
    const { grade, escalated } = escalate(
      points.map((p) => p.grade),
      def.escalation,
      'points',
    );
    return { grade, worst, escalated, hold, points };
  };

  return {
    onReading(mem, r, t) {
      if (!watched.has(r.pointId)) return;
      const k = String(r.pointId);
      mem.last[k] = { t, v: r.value, q: r.quality };
      if (r.quality !== 'good') return;
      if (item.measure === 'rainfall') {
        let rain = r.value;
        if (item.reading === 'cumulative') {
          const before = mem.counter[k];
          // A drop means the gauge's counter was reset; the new value is the rain since. The first
          // counter value seen carries no increment (it may hold days of rain).
          rain = before === undefined ? 0 : r.value >= before ? r.value - before : r.value;
          mem.counter[k] = r.value;
        }
        if (rain > 0) appendSample(mem, k, t, rain);
      } else if (item.measure === 'displacement_rate') appendSample(mem, k, t, r.value);
    },
    observe(mem, t) {
      for (const id of def.pointIds) {
        const samples = mem.samples[String(id)];
        if (!samples) continue;
        if (item.measure === 'displacement_rate') pruneToWindow(samples, t, item.windowMs);
        else {
          const firstKept = samples.findIndex((s) => s[0] > t - maxWindowMs);
          samples.splice(0, firstKept === -1 ? samples.length : firstKept);
        }
      }
      const a = assess(mem, t);
      for (const p of a.points) mem.grade[String(p.id)] = p.grade;
      return a;
    },
    assess,
    nextChange(mem, t) {
      let next: number | null = null;
      for (const id of def.pointIds) {
        const samples = mem.samples[String(id)];
        if (!samples) continue;
        const cands = item.measure === 'rainfall' ? item.windows.map((w) => sumNextChange(samples, t, w.windowMs)) : [windowNextChange(samples, maxWindowMs)];
        for (const d of cands) if (d !== null && d > t && (next === null || d < next)) next = d;
      }
      return next;
    },
    describe(mem, t) {
      const a = assess(mem, t);
      const counts = COLOURS.map((colour) => `${a.points.filter((p) => p.grade === colour).length} ${colour}`).join(', ');
      const worst = a.worst ? `worst point ${a.worst.id} = ${fmt(a.worst.value)}${a.worst.grade ? ` (${a.worst.grade})` : ''}` : 'no point';
      const esc = a.escalated.length > 0 ? `; escalated: ${a.escalated.join('; ')}` : '';
      return `${item.measure}: ${worst}; points ${counts}${esc}`;
    },
  };
}

/** The `tailings` kind: one monitoring item, one alarm (`rule:<id>`). */
const cache = new WeakMap<TailingsRule, KindOps<TailingsMemory>>();

export function tailingsOps(rule: TailingsRule): KindOps<TailingsMemory> {
  return cachedOps(cache, rule, () => build(rule));
}

function build(rule: TailingsRule): KindOps<TailingsMemory> {
  const subject = ruleSubject(rule.id);
  const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
  const item = tailingsItemOps(rule);
  return {
    levels: TAILINGS_LEVELS,
    onReading: (mem, r, t) => item.onReading(mem, r, t),
    onPosition() {},
    observe(mem, t): Observation[] {
      const a = item.observe(mem, t);
      return [{ subject, active: activeUpTo(a.grade), hold: a.hold, value: a.worst?.value ?? null, pointIds: rule.pointIds, vehicleId: null }];
    },
    nextChange: (mem, t) => item.nextChange(mem, t),
    ownsSubject: (s) => s === subject,
    delays: () => delays,
    describe: (mem, _s, t) => item.describe(mem, t),
  };
}
