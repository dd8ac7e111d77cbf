import { type Colour, ColourSchema, SEVERITY_OF_COLOUR, TAILINGS_LOW_IS_DANGEROUS, type TailingsGrades, type TailingsRule } from '@hazardwatch/contracts';
import type { KindMemory, TailingsMemory } from '../state.js';
import { cachedOps, fmt, type KindOps, type Observation, orderLevels, ruleSubject } from './kind-engine.js';
import { pruneToWindow, riseAndFall, sumInWindow, sumNextChange, windowNextChange } from './window.js';

/** Colours from the least to the most severe; tailings levels are named after their colour. */
const COLOURS: readonly Colour[] = [...ColourSchema.options].sort((a, b) => SEVERITY_OF_COLOUR[a] - SEVERITY_OF_COLOUR[b]);
const ACTIVE_UP_TO: ReadonlyMap<Colour | null, readonly string[]> = new Map<Colour | null, readonly string[]>([
  [null, []],
  ...COLOURS.map((c, i) => [c, COLOURS.slice(0, i + 1)] as [Colour, readonly string[]]),
]);
const rank = (c: Colour | null | undefined): number => (c ? SEVERITY_OF_COLOUR[c] : 0);

export function initTailingsMemory(rule: TailingsRule): TailingsMemory {
  return { kind: 'tailings', measure: rule.item.measure, last: {}, samples: {}, counter: {}, grade: {} };
}

/**
 * Readings, rain and displacement samples and gauge counters are kept for points still
 * listed when the measure is unchanged; point grades (hysteresis) start afresh.
 */
export function carryTailingsMemory(rule: TailingsRule, old: KindMemory): TailingsMemory {
  const mem = initTailingsMemory(rule);
  if (old.kind !== 'tailings' || old.measure !== rule.item.measure) return mem;
  for (const id of rule.pointIds) {
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

function appendSample(mem: TailingsMemory, key: string, t: number, value: number): void {
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

/**
 * One tailings monitoring item (GB 51108 §8.3, GB 39496 §5.5.4) over several points: each
 * point is graded blue/yellow/orange/red against the design values, then the item takes the
 * worst point, raised further by the multi-point policy (4 blue → yellow, 3 yellow → orange,
 * 2 orange → red by default; counts are of points at that grade or worse, one step each).
 * While any point is faulty or has not reported, the item may go up but never down.
 */
const cache = new WeakMap<TailingsRule, KindOps<TailingsMemory>>();

export function tailingsOps(rule: TailingsRule): KindOps<TailingsMemory> {
  return cachedOps(cache, rule, () => build(rule));
}

function build(rule: TailingsRule): KindOps<TailingsMemory> {
  const c = {
    subject: ruleSubject(rule.id),
    lowIsDangerous: (TAILINGS_LOW_IS_DANGEROUS as readonly string[]).includes(rule.item.measure),
    watched: new Set(rule.pointIds),
  };
  const delays = { onMs: rule.onDelayMs, offMs: rule.offDelayMs };
  const item = rule.item;
  const maxWindowMs = item.measure === 'rainfall' ? Math.max(...item.windows.map((w) => w.windowMs)) : item.measure === 'displacement_rate' ? item.windowMs : 0;

  const pointView = (mem: TailingsMemory, id: number, t: number): PointView => {
    const k = String(id);
    const previous = mem.grade[k] ?? null;
    if (item.measure === 'rainfall') {
      const samples = mem.samples[k] ?? [];
      let grade: Colour | null = null;
      let decidingSum: number | null = null;
      let longest = { windowMs: 0, sum: 0 };
      for (const w of item.windows) {
        const sum = sumInWindow(samples, t, w.windowMs);
        const g = gradeOf(sum, w.grades, false, rule.deadband, previous);
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
      return { id, grade: gradeOf(change, item.grades, false, rule.deadband, previous), value: change };
    }
    const l = mem.last[k];
    const good = l?.q === 'good' ? l : undefined;
    if (!good) return { id, grade: previous, value: null };
    const value = item.measure === 'freeboard' ? item.crestElevationM - good.v : good.v;
    return { id, grade: gradeOf(value, item.grades, c.lowIsDangerous, rule.deadband, previous), value };
  };

  const aggregate = (views: readonly PointView[]) => {
    const atLeast = (colour: Colour) => views.filter((p) => rank(p.grade) >= rank(colour)).length;
    let worst: PointView | undefined;
    for (const p of views) {
      if (worst === undefined || rank(p.grade) > rank(worst.grade)) worst = p;
      else if (
        rank(p.grade) === rank(worst.grade) &&
        p.value !== null &&
        (worst.value === null || (c.lowIsDangerous ? p.value < worst.value : p.value > worst.value))
      )
        worst = p;
    }
    let grade: Colour | null = worst?.grade ?? null;
    const escalated: string[] = [];
    const bump = (from: Colour, to: Colour, count: number | null) => {
      if (count !== null && atLeast(from) >= count && rank(grade) < rank(to)) {
        grade = to;
        escalated.push(`${atLeast(from)} points at ${from} or worse → ${to}`);
      }
    };
    bump('blue', 'yellow', rule.escalation.blue);
    bump('yellow', 'orange', rule.escalation.yellow);
    bump('orange', 'red', rule.escalation.orange);
    return { grade, worst, escalated, atLeast };
  };

  const views = (mem: TailingsMemory, t: number) => rule.pointIds.map((id) => pointView(mem, id, t));

  return {
    levels: orderLevels(COLOURS.map((colour) => ({ name: colour, colour }))),
    onReading(mem, r, t) {
      if (!c.watched.has(r.pointId)) return;
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
    onPosition() {},
    observe(mem, t): Observation[] {
      for (const id of rule.pointIds) {
        const samples = mem.samples[String(id)];
        if (!samples) continue;
        if (item.measure === 'displacement_rate') pruneToWindow(samples, t, item.windowMs);
        else {
          const firstKept = samples.findIndex((s) => s[0] > t - maxWindowMs);
          samples.splice(0, firstKept === -1 ? samples.length : firstKept);
        }
      }
      const vs = views(mem, t);
      let hold = false;
      for (const p of vs) {
        mem.grade[String(p.id)] = p.grade;
        if (mem.last[String(p.id)]?.q !== 'good') hold = true;
      }
      const a = aggregate(vs);
      return [{ subject: c.subject, active: ACTIVE_UP_TO.get(a.grade) ?? [], hold, value: a.worst?.value ?? null, pointIds: rule.pointIds, vehicleId: null }];
    },
    nextChange(mem, t) {
      let next: number | null = null;
      for (const id of rule.pointIds) {
        const samples = mem.samples[String(id)];
        if (!samples) continue;
        const cands = item.measure === 'rainfall' ? item.windows.map((w) => sumNextChange(samples, t, w.windowMs)) : [windowNextChange(samples, maxWindowMs)];
        for (const d of cands) if (d !== null && d > t && (next === null || d < next)) next = d;
      }
      return next;
    },
    ownsSubject: (s) => s === c.subject,
    delays: () => delays,
    describe(mem, _s, t) {
      const vs = views(mem, t);
      const a = aggregate(vs);
      const counts = COLOURS.map((colour) => `${vs.filter((p) => p.grade === colour).length} ${colour}`).join(', ');
      const worst = a.worst ? `worst point ${a.worst.id} = ${fmt(a.worst.value)}${a.worst.grade ? ` (${a.worst.grade})` : ''}` : 'no point';
      const esc = a.escalated.length > 0 ? `; escalated: ${a.escalated.join('; ')}` : '';
      return `${item.measure}: ${worst}; points ${counts}${esc}`;
    },
  };
}
