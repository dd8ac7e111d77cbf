import type { AlarmTransition, JobPosition, JobReading, RuleDocument } from '@hazardwatch/contracts';
import { newSubject, reconcileSubject, subjectDeadline } from './alarm-tracker.js';
import { RuleError, RuleErrorCode } from './errors.js';
import { bindKind } from './kinds/bind-kind.js';
import type { BoundKind } from './kinds/kind-engine.js';
import type { RuleState } from './state.js';

/** Deadlines one call may process before the engine declares itself stuck (a bug guard). */
const MAX_STEPS = 1_000_000;

/**
 * One evaluation pass over a (mutable, already copied) state: a discrete-event simulation in
 * which inputs and deadlines are processed in time order. A class rather than closures: one is
 * made per evaluation, on the hot path.
 *
 * `watch` false (a disabled rule) keeps the kind's facts current (last values, last seen) but
 * decides nothing: no timers, no transitions.
 */
export class EngineRun {
  readonly kind: BoundKind;

  constructor(
    private readonly rule: RuleDocument,
    private readonly state: RuleState,
    private readonly out: AlarmTransition[],
    private readonly watch: boolean,
  ) {
    this.kind = bindKind(rule, state.memory);
  }

  /** Observes every subject at the current engine time and folds the observations in. */
  reconcileAll(): void {
    const s = this.state;
    const t = s.clock;
    const observations = this.kind.observe(t, s.subjects);
    if (!this.watch) return;
    for (const obs of observations) {
      let ss = s.subjects[obs.subject];
      if (ss === undefined) {
        ss = newSubject();
        s.subjects[obs.subject] = ss;
      }
      reconcileSubject(this.rule, this.kind, ss, obs, t, this.out);
    }
  }

  /** Earliest time after the engine time at which something may change, or null. */
  nextDue(): number | null {
    const s = this.state;
    let next = this.kind.nextChange(s.clock);
    if (!this.watch) return next;
    for (const subject in s.subjects) {
      const ss = s.subjects[subject];
      if (ss === undefined) continue;
      const due = subjectDeadline(this.kind, ss);
      if (due !== null && (next === null || due < next)) next = due;
    }
    return next;
  }

  /** Fires every deadline up to and including `t`, each at its own time; then engine time is `t`. */
  advanceTo(t: number): void {
    const s = this.state;
    for (let step = 0; ; step++) {
      const due = this.nextDue();
      if (due === null || due > t) break;
      if (due <= s.clock || step >= MAX_STEPS)
        throw new RuleError(RuleErrorCode.Internal, `rule ${this.rule.id}: no progress at ${s.clock} (next due ${due}, step ${step})`);
      s.clock = due;
      this.reconcileAll();
    }
    if (t > s.clock) s.clock = t;
  }

  /**
   * Applies every input of one timestamp, then observes once: readings taken at the same instant
   * (one device message, several channels) are one snapshot, never seen half-applied. An input
   * older than the engine time (a device's late buffer) takes effect at the engine time: the past
   * cannot be re-decided, and using it late is safer than dropping it.
   */
  applyAt(ts: number, readings: readonly JobReading[], positions: readonly JobPosition[]): void {
    this.advanceTo(ts);
    const t = this.state.clock;
    for (const r of readings) this.kind.onReading(r, t);
    for (const p of positions) this.kind.onPosition(p, t);
    this.reconcileAll();
  }
}
