import type { AlarmTransition, RuleDocument } from '@hazardwatch/contracts';
import type { BoundKind, LevelInfo, Observation } from './kinds/kind-engine.js';
import type { SubjectState } from './state.js';
import { buildTransition } from './transition.js';

/** A new, quiet subject. */
export function newSubject(): SubjectState {
  return { seq: 0, levels: {}, open: null, value: null, hold: false };
}

function has(list: readonly string[], name: string): boolean {
  for (const x of list) if (x === name) return true;
  return false;
}

/**
 * Folds one observation of a subject at time `t` into its state, ISA-18.2 style:
 * 1. each level's raw condition is debounced by its on-delay (to become true) and off-delay
 *    (to become false); under `hold` (inputs faulty or unknown) a level can become active but
 *    never inactive, so a dead sensor never looks safe;
 * 2. the alarm follows the most severe confirmed level: raise, level change, clear. A latching
 *    rule never clears nor goes down by itself: the alarm is marked latched until a reset.
 * Transitions carry time `t`: a reading's time, or the deadline a tick reached.
 */
export function reconcileSubject(rule: RuleDocument, kind: BoundKind, ss: SubjectState, obs: Observation, t: number, out: AlarmTransition[]): void {
  let top: LevelInfo | null = null;
  for (const l of kind.levels) {
    let timer = ss.levels[l.name];
    const raw = has(obs.active, l.name) || (obs.hold && timer !== undefined && (timer.raw || timer.confirmed));
    if (timer === undefined) {
      if (!raw) continue;
      timer = { raw: false, since: t, confirmed: false };
      ss.levels[l.name] = timer;
    }
    if (raw !== timer.raw) {
      timer.raw = raw;
      timer.since = t;
    }
    if (timer.raw !== timer.confirmed) {
      const d = kind.delays(l.name);
      if (t - timer.since >= (timer.raw ? d.onMs : d.offMs)) timer.confirmed = timer.raw;
    }
    if (timer.confirmed) top = l;
  }
  ss.hold = obs.hold;
  ss.value = obs.value;

  const open = ss.open;
  if (open === null) {
    if (top === null) return;
    ss.open = { level: top.name, colour: top.colour, since: t, latched: false };
    out.push(
      buildTransition(rule, obs.subject, ss, 'raise', top, obs, t, `${rule.name}: ${top.name} (${top.colour}) raised; ${kind.describe(obs.subject, t)}`),
    );
    return;
  }
  if (top === null) {
    if (rule.latching) {
      // GB/T 50493 gas alarms latch (GB 16808 controllers): held until a person resets them.
      open.latched = true;
      return;
    }
    ss.open = null;
    out.push(buildTransition(rule, obs.subject, ss, 'clear', null, obs, t, `${rule.name}: cleared; ${kind.describe(obs.subject, t)}`));
    return;
  }
  open.latched = false;
  if (top.name === open.level) return;
  const openRank = kind.levels.find((l) => l.name === open.level)?.rank ?? -1;
  if (rule.latching && top.rank < openRank) return;
  open.level = top.name;
  open.colour = top.colour;
  out.push(buildTransition(rule, obs.subject, ss, 'level', top, obs, t, `${rule.name}: now ${top.name} (${top.colour}); ${kind.describe(obs.subject, t)}`));
}

/** When the subject's next pending delay expires, or null. */
export function subjectDeadline(kind: BoundKind, ss: SubjectState): number | null {
  let next: number | null = null;
  for (const name in ss.levels) {
    const timer = ss.levels[name];
    if (timer === undefined || timer.raw === timer.confirmed) continue;
    const d = kind.delays(name);
    const due = timer.since + (timer.raw ? d.onMs : d.offMs);
    if (next === null || due < next) next = due;
  }
  return next;
}
