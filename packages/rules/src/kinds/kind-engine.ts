import type { Colour, Comparison, JobPosition, JobReading } from '@hazardwatch/contracts';
import { SEVERITY_OF_COLOUR } from '@hazardwatch/contracts';
import type { SubjectState } from '../state.js';

/**
 * The contract between the generic engine (delays, latching, transitions) and one rule kind
 * (what the condition is). A kind is bound to one rule and its mutable memory; it only ever
 * sees inputs in time order, and it is asked what holds at a time `t`.
 */

/** A level of a rule with its rank: 0 is the least severe. */
export type LevelInfo = { readonly name: string; readonly colour: Colour; readonly rank: number };

/** What a kind sees for one alarm subject at one time. */
export type Observation = {
  readonly subject: string;
  /** Names of the levels whose condition holds (graded kinds list every level up to the worst). */
  readonly active: readonly string[];
  /** Inputs faulty, in maintenance or unknown: the alarm may go up but never down. */
  readonly hold: boolean;
  readonly value: number | null;
  readonly pointIds: readonly number[];
  readonly vehicleId: string | null;
};

/** Subject states, for the hysteresis of the levels that were active at the last observation. */
export type SubjectStates = Readonly<Record<string, SubjectState>>;

/** Whether a level of a subject was active (raw) at the last observation. */
export function wasActive(subjects: SubjectStates, subject: string, level: string): boolean {
  return subjects[subject]?.levels[level]?.raw ?? false;
}

/**
 * What a kind does, built once per rule object (cached) with the kind's memory passed in: the
 * hot path (one evaluation per reading) then creates no functions.
 */
export type KindOps<M> = {
  /** Levels from least to most severe. */
  readonly levels: readonly LevelInfo[];
  onReading(mem: M, reading: JobReading, t: number): void;
  onPosition(mem: M, position: JobPosition, t: number): void;
  /** The condition of every subject at `t`; may update derived memory (windows, trigger onset). */
  observe(mem: M, t: number, subjects: SubjectStates): Observation[];
  /** Earliest time after `t` at which `observe` may change without any input, or null. */
  nextChange(mem: M, t: number): number | null;
  /** Whether this rule can have an alarm on `subject` (used when a rule version changes). */
  ownsSubject(subject: string): boolean;
  /** On- and off-delay of a level. */
  delays(level: string): { readonly onMs: number; readonly offMs: number };
  /** A short description of the subject's condition at `t`, for transition messages. */
  describe(mem: M, subject: string, t: number): string;
};

/** A kind bound to one rule's memory, as the generic engine uses it. */
export type BoundKind = {
  readonly levels: readonly LevelInfo[];
  onReading(reading: JobReading, t: number): void;
  onPosition(position: JobPosition, t: number): void;
  observe(t: number, subjects: SubjectStates): Observation[];
  nextChange(t: number): number | null;
  ownsSubject(subject: string): boolean;
  delays(level: string): { readonly onMs: number; readonly offMs: number };
  describe(subject: string, t: number): string;
};

export class Bound<M> implements BoundKind {
  constructor(
    private readonly ops: KindOps<M>,
    private readonly mem: M,
  ) {}
  get levels(): readonly LevelInfo[] {
    return this.ops.levels;
  }
  onReading(reading: JobReading, t: number): void {
    this.ops.onReading(this.mem, reading, t);
  }
  onPosition(position: JobPosition, t: number): void {
    this.ops.onPosition(this.mem, position, t);
  }
  observe(t: number, subjects: SubjectStates): Observation[] {
    return this.ops.observe(this.mem, t, subjects);
  }
  nextChange(t: number): number | null {
    return this.ops.nextChange(this.mem, t);
  }
  ownsSubject(subject: string): boolean {
    return this.ops.ownsSubject(subject);
  }
  delays(level: string): { readonly onMs: number; readonly offMs: number } {
    return this.ops.delays(level);
  }
  describe(subject: string, t: number): string {
    return this.ops.describe(this.mem, subject, t);
  }
}

/** Caches a rule's ops by rule object identity (rules are immutable once parsed). */
export function cachedOps<R extends object, M>(cache: WeakMap<R, KindOps<M>>, rule: R, build: (rule: R) => KindOps<M>): KindOps<M> {
  let ops = cache.get(rule);
  if (ops === undefined) {
    ops = build(rule);
    cache.set(rule, ops);
  }
  return ops;
}

/** Orders levels by colour severity; ties keep the rule's order (later = more severe). */
export function orderLevels(levels: readonly { name: string; colour: Colour }[]): LevelInfo[] {
  return levels
    .map((l, i) => ({ name: l.name, colour: l.colour, i }))
    .sort((a, b) => SEVERITY_OF_COLOUR[a.colour] - SEVERITY_OF_COLOUR[b.colour] || a.i - b.i)
    .map((l, rank) => ({ name: l.name, colour: l.colour, rank }));
}

/** Applies a comparison of the rule DSL. */
export function compare(v: number, cmp: Comparison, value: number): boolean {
  switch (cmp) {
    case 'above':
      return v > value;
    case 'at_least':
      return v >= value;
    case 'below':
      return v < value;
    case 'at_most':
      return v <= value;
    case 'equals':
      return v === value;
    case 'not_equals':
      return v !== value;
  }
}

export const COMPARISON_TEXT: Readonly<Record<Comparison, string>> = {
  above: '>',
  at_least: '≥',
  below: '<',
  at_most: '≤',
  equals: '=',
  not_equals: '≠',
};

/** Subject of a per-point alarm. */
export function pointSubject(pointId: number): string {
  return `point:${pointId}`;
}
/** Subject of a per-vehicle alarm. */
export function vehicleSubject(vehicleId: string): string {
  return `vehicle:${vehicleId}`;
}
/** Subject of a rule-wide alarm, with an optional part (`rule:r-1:action`). */
export function ruleSubject(ruleId: string, part?: string): string {
  return part === undefined ? `rule:${ruleId}` : `rule:${ruleId}:${part}`;
}

/** The earlier of two optional times. */
export function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

/** Formats a number for a message without noise digits. */
export function fmt(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

export const NO_LEVELS: readonly string[] = [];
