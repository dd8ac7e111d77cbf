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
 *    rule never closes nor goes down by itself: when its condition goes (after deadband and
 *    off-delay, as any clear) it emits `clear` (`latching: true`, so the alarm shows `latched`,
 *    ISA-18.2) and keeps the alarm open in its state until a person resets it; when the
 *    condition comes back before the reset it emits `raise` for the same open alarm, at the
 *    latched level or a worse one (a latch never goes down).
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
    // `open.latched` too: a latch carried into a version that no longer latches still ends only by a reset.
    if (rule.latching || open.latched) {
      // GB/T 50493 gas alarms latch (GB 16808 controllers): held until a person resets them. The
      // condition's return to normal is still announced (once), so the alarm shows `latched`
      // rather than active. A state stored before this clear existed (`clearSent` absent) gets
      // it here too, at its next observation.
      if (open.latched && open.clearSent === true) return;
      open.latched = true;
      open.clearSent = true;
      out.push(
        buildTransition(rule, obs.subject, ss, 'clear', null, obs, t, `${rule.name}: condition gone, latched until reset; ${kind.describe(obs.subject, t)}`),
      );
      return;
    }
    ss.open = null;
    out.push(buildTransition(rule, obs.subject, ss, 'clear', null, obs, t, `${rule.name}: cleared; ${kind.describe(obs.subject, t)}`));
    return;
  }
  const openLevel = kind.levels.find((l) => l.name === open.level);
  const openRank = openLevel?.rank ?? -1;
  if (open.latched) {
    const announced = open.clearSent === true;
    open.latched = false;
    open.clearSent = false;
    if (announced) {
      // Back while latched: the same alarm is active again (no second alarm), at the latched
      // level unless the condition is now worse.
      const shown = openLevel !== undefined && openLevel.rank > top.rank ? openLevel : top;
      open.level = shown.name;
      open.colour = shown.colour;
      const why = shown === top ? '' : `, latched at ${shown.name} (${shown.colour})`;
      out.push(
        buildTransition(
          rule,
          obs.subject,
          ss,
          'raise',
          shown,
          obs,
          t,
          `${rule.name}: ${top.name} (${top.colour}) active again before reset${why}; ${kind.describe(obs.subject, t)}`,
        ),
      );
      return;
    }
  }
  if (top.name === open.level) return;
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
