import { type AlarmTransition, JobPositionSchema, JobReadingSchema, type RuleDocument } from '@hazardwatch/contracts';
import { z } from 'zod';
import { EngineRun } from './engine-run.js';
import { RuleError, RuleErrorCode } from './errors.js';
import { bindKind, initMemory } from './kinds/bind-kind.js';
import { migrateState } from './migrate-state.js';
import { cloneState, RULE_STATE_LAYOUT, type RuleState } from './state.js';

/** What one evaluation sees: the readings of the rule's points and the positions of its vehicles. */
export const RuleInputsSchema = z.object({
  readings: z.array(JobReadingSchema),
  positions: z.array(JobPositionSchema),
});
export type RuleInputs = z.infer<typeof RuleInputsSchema>;

/** A tick: no input, only time passes. */
export const NO_INPUTS: RuleInputs = Object.freeze({ readings: [], positions: [] }) as RuleInputs;

/** Outcome of one evaluation. */
export type EvaluateResult = {
  /** The new state (plain JSON, to store); the state passed in is never modified. */
  state: RuleState;
  /** Transitions in time order (per subject they alternate raise, level…, clear). */
  transitions: AlarmTransition[];
  /** Earliest time after `now` at which a tick may produce a transition, or null (a scheduling hint). */
  nextDueAt: number | null;
};

function sortedByTs<T extends { ts: number }>(items: readonly T[]): readonly T[] {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1];
    const b = items[i];
    if (a && b && b.ts < a.ts) return [...items].sort((x, y) => x.ts - y.ts); // stable: ties keep arrival order
  }
  return items;
}

/** A fresh state of a rule first evaluated at `start`. */
export function initialState(rule: RuleDocument, start: number): RuleState {
  return {
    layout: RULE_STATE_LAYOUT,
    ruleId: rule.id,
    ruleVersion: rule.version,
    kind: rule.kind,
    startedAt: start,
    clock: start,
    subjects: {},
    memory: initMemory(rule, start),
  };
}

/**
 * Evaluates a rule: a pure function of (rule, state, inputs, now).
 *
 * Inputs are taken in time order (a stable sort), all inputs of one timestamp together; each
 * timestamp moves engine time to it, first firing every deadline (on/off delay, silence,
 * response time, window expiry, fatigue…) due up to then at the deadline's own time, then
 * applying the input. Finally time moves to `now` (a tick: same deadline processing). A deadline
 * exactly at a time fires before an input of that time, so the outcome does not depend on how
 * inputs are split into jobs or how often ticks come.
 *
 * For idempotent retries pass the same `now` again (derive it from the job, e.g. its tick time or
 * `committedAt`, not from the clock at processing): the same inputs then yield identical output.
 *
 * `state` undefined starts the rule at the earlier of `now` and the first input. A state of
 * another version is migrated (see {@link migrateState}); a state of another rule is refused
 * (`HW_RULES_STATE_MISMATCH`). A disabled rule keeps its facts current and decides nothing.
 */
export function evaluateRule(rule: RuleDocument, state: RuleState | undefined, inputs: RuleInputs, now: number): EvaluateResult {
  const readings = sortedByTs(inputs.readings);
  const positions = sortedByTs(inputs.positions);
  const firstTs = Math.min(readings[0]?.ts ?? now, positions[0]?.ts ?? now);
  const start = Math.min(now, firstTs);
  const transitions: AlarmTransition[] = [];

  let s: RuleState;
  let fresh = false;
  if (state === undefined) {
    s = initialState(rule, start);
    fresh = true;
  } else {
    if (state.ruleId !== rule.id) throw new RuleError(RuleErrorCode.StateMismatch, `state of rule ${state.ruleId} given for rule ${rule.id}`);
    s = cloneState(state);
    if (s.ruleVersion !== rule.version || s.kind !== rule.kind) {
      s = migrateState(rule, s, (n) => bindKind(rule, n.memory), Math.max(s.clock, start), transitions);
      fresh = true;
    }
  }

  const run = new EngineRun(rule, s, transitions, rule.enabled);
  // A new (or migrated) state is observed at its start, unless inputs of that very instant are
  // about to be applied: the first observation must see them.
  const inputAtStart = (readings.length > 0 || positions.length > 0) && firstTs <= s.clock;
  if (fresh && !inputAtStart) run.reconcileAll();
  let i = 0;
  let j = 0;
  while (i < readings.length || j < positions.length) {
    const ts = Math.min(readings[i]?.ts ?? Number.POSITIVE_INFINITY, positions[j]?.ts ?? Number.POSITIVE_INFINITY);
    let i2 = i;
    while (readings[i2]?.ts === ts) i2++;
    let j2 = j;
    while (positions[j2]?.ts === ts) j2++;
    run.applyAt(ts, readings.slice(i, i2), positions.slice(j, j2));
    i = i2;
    j = j2;
  }
  run.advanceTo(now);
  return { state: s, transitions, nextDueAt: rule.enabled ? run.nextDue() : null };
}
