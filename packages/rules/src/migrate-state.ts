import type { AlarmTransition, RuleDocument } from '@hazardwatch/contracts';
import { carryMemory } from './kinds/bind-kind.js';
import type { BoundKind } from './kinds/kind-engine.js';
import { RULE_STATE_LAYOUT, type RuleState } from './state.js';
import { buildTransition, factsFromSubject } from './transition.js';

/**
 * The state of a rule whose version (or kind) changed, at time `at`:
 * - the kind's facts (last values, last-seen times, windows, vehicle tracks) carry over where
 *   they still apply; timers (on/off delays, hysteresis) start afresh;
 * - an open alarm whose subject and level exist in the new version is carried: it stays raised
 *   (latched stays latched) and the new version decides from now on whether it clears; if the
 *   level's colour changed, a `level` transition announces the new colour;
 * - an open alarm the new version cannot have (its point or level was removed) is cleared by an
 *   explicit transition that says so: nothing is dropped silently; a latched one (condition
 *   gone, awaiting reset) is kept latched instead, for a person to reset.
 * The caller re-observes every subject at `at` right after.
 */
export function migrateState(rule: RuleDocument, old: RuleState, kindOf: (s: RuleState) => BoundKind, at: number, out: AlarmTransition[]): RuleState {
  const next: RuleState = {
    layout: RULE_STATE_LAYOUT,
    ruleId: rule.id,
    ruleVersion: rule.version,
    kind: rule.kind,
    startedAt: old.startedAt,
    clock: at,
    subjects: {},
    memory: carryMemory(rule, old.memory, at),
  };
  const kind = kindOf(next);
  for (const [subject, ss] of Object.entries(old.subjects)) {
    const open = ss.open;
    if (open === null) continue;
    const level = kind.levels.find((l) => l.name === open.level);
    if (level !== undefined && kind.ownsSubject(subject)) {
      const carried = {
        seq: ss.seq,
        levels: open.latched ? {} : { [level.name]: { raw: true, since: at, confirmed: true } },
        open: { ...open },
        value: ss.value,
        hold: ss.hold,
      };
      next.subjects[subject] = carried;
      if (level.colour !== open.colour) {
        carried.open.colour = level.colour;
        out.push(
          buildTransition(
            rule,
            subject,
            carried,
            'level',
            level,
            factsFromSubject(subject, ss.value),
            at,
            `${rule.name}: ${level.name} is ${level.colour} from rule version ${rule.version}`,
          ),
        );
      }
    } else if (open.latched) {
      // Only a person's reset ends a latch (GB 16808), even when the new version no longer has
      // its level or subject: the alarm is kept latched, with no timers, so it can be reset.
      // A subject no longer watched will never be observed again: nothing holds the reset back.
      next.subjects[subject] = { seq: ss.seq, levels: {}, open: { ...open }, value: ss.value, hold: kind.ownsSubject(subject) ? ss.hold : false };
    } else {
      const why = level === undefined ? `level ${open.level} no longer exists` : `${subject} is no longer watched by this rule`;
      // Not kept in the new state: the new version has no such alarm.
      const retired = { ...ss, levels: {}, open: null };
      out.push(
        buildTransition(
          rule,
          subject,
          retired,
          'clear',
          null,
          factsFromSubject(subject, ss.value),
          at,
          `${rule.name}: cleared by rule version ${rule.version} (${why})`,
        ),
      );
    }
  }
  return next;
}
