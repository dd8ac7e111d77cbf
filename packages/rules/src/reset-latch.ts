import type { AlarmTransition, RuleDocument } from '@hazardwatch/contracts';
import { RuleErrorCode } from './errors.js';
import { evaluateRule, NO_INPUTS } from './evaluate-rule.js';
import { bindKind } from './kinds/bind-kind.js';
import type { Observation } from './kinds/kind-engine.js';
import type { RuleState, SubjectState } from './state.js';
import { buildTransition, factsFromSubject } from './transition.js';

/** Outcome of {@link resetLatch}: the new state and its transitions, or a refusal with a stable code. */
export type ResetLatchResult =
  | { ok: true; state: RuleState; transitions: AlarmTransition[]; reset: string[] }
  | {
      ok: false;
      code: typeof RuleErrorCode.ResetConditionActive | typeof RuleErrorCode.ResetConditionUnknown | typeof RuleErrorCode.ResetNothingLatched;
      message: string;
      subjects: string[];
    };

type Verdict = 'resettable' | 'active' | 'unknown' | 'not_latched';

function verdictOf(ss: SubjectState | undefined): Verdict {
  if (!ss?.open) return 'not_latched';
  for (const name in ss.levels) {
    const timer = ss.levels[name];
    // A raw condition not yet confirmed (on-delay running) is active too: the gas is back.
    if (timer && (timer.raw || timer.confirmed)) return 'active';
  }
  if (!ss.open.latched) return 'active';
  if (ss.hold) return 'unknown';
  return 'resettable';
}

/**
 * A person resets latched alarms (GB/T 50493 §5.5 / GB 16808: gas alarms stay on after the gas is
 * gone until reset). Time is first brought to `now` (deadlines due by then fire and their
 * transitions are part of the result). Then:
 * - with `subject`, that alarm is reset, or the reset is refused: its condition is still active
 *   or pending (`HW_RULES_RESET_CONDITION_ACTIVE`), its inputs are faulty or unknown so the
 *   condition cannot be known to be gone (`HW_RULES_RESET_CONDITION_UNKNOWN`), or nothing is
 *   latched (`HW_RULES_RESET_NOTHING_LATCHED`);
 * - without, every latched alarm whose condition is known to be gone is reset; when none is,
 *   the refusal says why (active before unknown before nothing latched).
 * A latched alarm's `clear` was emitted when its condition went (the alarm store shows it
 * `latched`), so a reset emits no transition of its own: the engine forgets the alarm, and the
 * caller applies the person's `reset` to the alarm store (`latched` → `normal`). Only a latch
 * stored before the engine emitted that clear (`clearSent` absent) gets its `clear` from the
 * reset, at max(now, engine time). On refusal nothing changes.
 */
export function resetLatch(rule: RuleDocument, state: RuleState | undefined, now: number, options: { subject?: string } = {}): ResetLatchResult {
  if (state === undefined) return { ok: false, code: RuleErrorCode.ResetNothingLatched, message: `rule ${rule.id} has no alarm`, subjects: [] };
  const advanced = evaluateRule(rule, state, NO_INPUTS, now);
  const s = advanced.state;
  const targets = options.subject !== undefined ? [options.subject] : Object.keys(s.subjects).filter((k) => s.subjects[k]?.open);
  const verdicts = targets.map((subject) => ({ subject, verdict: verdictOf(s.subjects[subject]) }));
  const resettable = verdicts.filter((v) => v.verdict === 'resettable').map((v) => v.subject);

  if (resettable.length === 0 || (options.subject !== undefined && resettable.length !== targets.length)) {
    const of = (v: Verdict) => verdicts.filter((x) => x.verdict === v).map((x) => x.subject);
    if (of('active').length > 0)
      return { ok: false, code: RuleErrorCode.ResetConditionActive, message: 'the alarm condition is still active; reset refused', subjects: of('active') };
    if (of('unknown').length > 0)
      return {
        ok: false,
        code: RuleErrorCode.ResetConditionUnknown,
        message: 'an input is faulty, in maintenance or has not reported: the condition cannot be known to be gone; reset refused',
        subjects: of('unknown'),
      };
    return { ok: false, code: RuleErrorCode.ResetNothingLatched, message: 'nothing latched to reset', subjects: targets };
  }

  const kind = bindKind(rule, s.memory);
  const observed = new Map<string, Observation>(kind.observe(s.clock, s.subjects).map((o) => [o.subject, o]));
  const transitions = [...advanced.transitions];
  for (const subject of resettable) {
    const ss = s.subjects[subject];
    if (!ss) continue;
    const announced = ss.open?.clearSent === true;
    ss.open = null;
    if (announced) continue;
    const facts = observed.get(subject) ?? factsFromSubject(subject, ss.value);
    transitions.push(buildTransition(rule, subject, ss, 'clear', null, facts, s.clock, `${rule.name}: reset by a person; ${kind.describe(subject, s.clock)}`));
  }
  return { ok: true, state: s, transitions, reset: resettable };
}
