import { type AlarmTransition, type JobPosition, type JobReading, type Quality, type RuleDocument, RuleDocumentSchema } from '@hazardwatch/contracts';
import { evaluateRule } from './evaluate-rule.js';
import type { RuleState } from './state.js';

/**
 * Factories shared by this package's tests (not exported from the package). Times are offsets
 * from T0 in tests so expectations read as seconds.
 */
export const T0 = 1_700_000_000_000;
export const S = 1000;
export const MIN = 60 * S;
export const H = 60 * MIN;

export const BASE = { id: 'r-1', version: 1, enterpriseId: 'ent-1', hazardSourceId: 'hs-1', name: 'test rule' } as const;

/** Parses a rule document with the common fields filled in. */
export function ruleOf(fields: Record<string, unknown>): RuleDocument {
  return RuleDocumentSchema.parse({ ...BASE, ...fields });
}

export function rd(pointId: number, atMs: number, value: number, quality: Quality = 'good'): JobReading {
  return { pointId, ts: T0 + atMs, value, quality };
}

export function pos(
  vehicleId: string,
  atMs: number,
  speedKmh: number,
  lonLat: readonly [number, number] = [117, 36],
  accOn: boolean | null = true,
): JobPosition {
  return { vehicleId, ts: T0 + atMs, lat: lonLat[1], lon: lonLat[0], speedKmh, heading: 0, altitudeM: null, accOn, alarmFlags: null };
}

/** One evaluation call: inputs and the `now` of the call (offset from T0). */
export type Step = { readings?: JobReading[]; positions?: JobPosition[]; now: number };

/** Runs evaluation calls in sequence, carrying the state, and collects every transition. */
export function runSteps(rule: RuleDocument, steps: readonly Step[], state?: RuleState): { state: RuleState | undefined; transitions: AlarmTransition[] } {
  let s = state;
  const transitions: AlarmTransition[] = [];
  for (const step of steps) {
    const res = evaluateRule(rule, s, { readings: step.readings ?? [], positions: step.positions ?? [] }, T0 + step.now);
    s = res.state;
    transitions.push(...res.transitions);
  }
  return { state: s, transitions };
}

/** `raise:H@25` style summary: kind, level and time offset in seconds. */
export function brief(ts: readonly AlarmTransition[]): string[] {
  return ts.map((t) => `${t.kind}:${t.level ?? '-'}@${(t.at - T0) / S}`);
}

/** Readings of one point at 1 s spacing from `startS`, one per value. */
export function series(pointId: number, startS: number, values: readonly number[], quality: Quality = 'good'): JobReading[] {
  return values.map((v, i) => rd(pointId, (startS + i) * S, v, quality));
}
