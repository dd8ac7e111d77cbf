import type { AlarmTransition, JobReading, RuleDocument } from '@hazardwatch/contracts';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluateRule } from './evaluate-rule.js';
import { resetLatch } from './reset-latch.js';
import type { RuleState } from './state.js';
import { rd, ruleOf, S, T0 } from './test-fixtures.js';

const RUNS = { numRuns: 300 };

/** Readings of point 1 at strictly increasing times (gaps of 1 ms to 20 s). */
const readingsArb = (values: fc.Arbitrary<number>, maxLength = 60) =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 20_000 }), values, fc.constantFrom('good', 'good', 'good', 'fault') as fc.Arbitrary<'good' | 'fault'>), {
      maxLength,
    })
    .map((xs) => {
      let t = 0;
      return xs.map(([gap, v, q]) => {
        t += gap;
        return rd(1, t, v, q);
      });
    });

/** Splits readings into jobs with ticks in between, as a worker would see them. */
const jobsArb = (readings: JobReading[]) =>
  fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 10 }).map((ticks) => {
    const times = [...new Set([...readings.map((r) => r.ts), ...ticks.map((x) => T0 + x)])].sort((a, b) => a - b);
    return times.map((now) => ({ readings: readings.filter((r) => r.ts === now), now }));
  });

function runJobs(rule: RuleDocument, jobs: readonly { readings: JobReading[]; now: number }[], finalNow: number): AlarmTransition[] {
  let state: RuleState | undefined;
  const out: AlarmTransition[] = [];
  for (const job of jobs) {
    const res = evaluateRule(rule, state, { readings: job.readings, positions: [] }, job.now);
    state = res.state;
    out.push(...res.transitions);
  }
  out.push(...evaluateRule(rule, state, { readings: [], positions: [] }, finalNow).transitions);
  return out;
}

const thresholdArb = fc.record({
  setpoint: fc.double({ min: -100, max: 100, noNaN: true }),
  deadband: fc.double({ min: 0.01, max: 20, noNaN: true }),
  onDelayMs: fc.integer({ min: 0, max: 20_000 }),
  offDelayMs: fc.integer({ min: 0, max: 20_000 }),
  latching: fc.boolean(),
});

/** True when a subject's transitions read raise (level)* clear, raise (level)* clear, … */
function alternates(ts: readonly AlarmTransition[]): boolean {
  let open = false;
  for (const t of ts) {
    if (t.kind === 'raise' && open) return false;
    if (t.kind !== 'raise' && !open) return false;
    open = t.kind !== 'clear';
  }
  return true;
}

function bySubject(ts: readonly AlarmTransition[]): Map<string, AlarmTransition[]> {
  const m = new Map<string, AlarmTransition[]>();
  for (const t of ts) m.set(t.subject, [...(m.get(t.subject) ?? []), t]);
  return m;
}

describe('engine properties', () => {
  test('deadband: noise narrower than the band never chatters (at most one raise, no clear)', () => {
    fc.assert(
      fc.property(
        fc.record({
          setpoint: fc.double({ min: -100, max: 100, noNaN: true }),
          deadband: fc.double({ min: 0.01, max: 20, noNaN: true }),
          side: fc.constantFrom('high', 'low') as fc.Arbitrary<'high' | 'low'>,
          // Where the noise band sits relative to the setpoint, in deadbands.
          position: fc.double({ min: -2, max: 1, noNaN: true }),
          widthRatio: fc.double({ min: 0, max: 0.99, noNaN: true }),
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }),
        ({ setpoint, deadband, side, position, widthRatio }, noise) => {
          const rule = ruleOf({ kind: 'threshold', pointId: 1, deadband, levels: [{ name: 'A', colour: 'yellow', side, setpoint }] });
          const width = widthRatio * deadband;
          const base = side === 'high' ? setpoint + position * deadband : setpoint - position * deadband - width;
          const readings = noise.map((n, i) => rd(1, i * S, base + n * width));
          const ts = evaluateRule(rule, undefined, { readings, positions: [] }, T0 + noise.length * S).transitions;
          expect(ts.filter((t) => t.kind === 'clear')).toEqual([]);
          expect(ts.filter((t) => t.kind === 'raise').length).toBeLessThanOrEqual(1);
        },
      ),
      RUNS,
    );
  });

  test('delays never fire early: a raise at t had the condition hold over [t − onDelay, t)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 15_000 }),
        readingsArb(fc.constantFrom(10, 30)).chain((readings) => jobsArb(readings).map((jobs) => ({ readings, jobs }))),
        (onDelayMs, { readings, jobs }) => {
          const rule = ruleOf({ kind: 'threshold', pointId: 1, onDelayMs, levels: [{ name: 'A', colour: 'yellow', side: 'high', setpoint: 25 }] });
          const ts = runJobs(rule, jobs, T0 + 200_000_000);
          const good = readings.filter((r) => r.quality === 'good');
          for (const t of ts.filter((x) => x.kind === 'raise')) {
            const from = t.at - onDelayMs;
            // The condition started with a good reading above the setpoint exactly at t − onDelay…
            expect(good.some((r) => r.ts === from && r.value >= 25)).toBe(true);
            // …and no good reading below it came before t.
            expect(good.filter((r) => r.ts >= from && r.ts < t.at && r.value < 25)).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  });

  test('transitions alternate raise / level… / clear per subject, whatever the inputs, delays, latching and resets', () => {
    fc.assert(
      fc.property(
        thresholdArb,
        readingsArb(fc.double({ min: -150, max: 150, noNaN: true })),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 5 }),
        (params, readings, resetTimes) => {
          const rule = ruleOf({
            kind: 'threshold',
            pointId: 1,
            deadband: params.deadband,
            onDelayMs: params.onDelayMs,
            offDelayMs: params.offDelayMs,
            latching: params.latching,
            levels: [
              { name: 'L', colour: 'yellow', side: 'low', setpoint: params.setpoint - 30 },
              { name: 'H', colour: 'orange', side: 'high', setpoint: params.setpoint },
              { name: 'HH', colour: 'red', side: 'high', setpoint: params.setpoint + 20 },
            ],
          });
          let state: RuleState | undefined;
          const all: AlarmTransition[] = [];
          const log: ({ kind: 'transition'; t: AlarmTransition } | { kind: 'reset'; subjects: string[] })[] = [];
          const resets = [...resetTimes].sort((a, b) => a - b);
          for (const r of readings) {
            while (resets.length > 0 && (resets[0] ?? 0) + T0 < r.ts) {
              const at = T0 + (resets.shift() ?? 0);
              const res = resetLatch(rule, state, at);
              if (res.ok) {
                state = res.state;
                all.push(...res.transitions);
                log.push(...res.transitions.map((t) => ({ kind: 'transition' as const, t })), { kind: 'reset', subjects: res.reset });
              }
            }
            const res = evaluateRule(rule, state, { readings: [r], positions: [] }, r.ts);
            state = res.state;
            all.push(...res.transitions);
            log.push(...res.transitions.map((t) => ({ kind: 'transition' as const, t })));
          }
          for (const ts of bySubject(all).values()) expect(alternates(ts)).toBe(true);
          // ISA-18.2 model of one alarm per subject: none → active (raise) → latched (clear of a
          // latching rule: condition gone, awaiting reset) → active again (raise, the same alarm)
          // or none (reset only); a non-latching clear closes it. A reset emits no transition.
          const model = new Map<string, 'active' | 'latched'>();
          for (const e of log) {
            if (e.kind === 'reset') {
              for (const subject of e.subjects) {
                expect(model.get(subject)).toBe('latched');
                model.delete(subject);
              }
              continue;
            }
            const { t } = e;
            const now = model.get(t.subject);
            expect(t.latching).toBe(params.latching);
            if (t.kind === 'raise') expect(now === undefined || (params.latching && now === 'latched')).toBe(true);
            else expect(now).toBe('active');
            if (t.kind === 'clear') {
              if (params.latching) model.set(t.subject, 'latched');
              else model.delete(t.subject);
            } else model.set(t.subject, 'active');
          }
          // The engine's state agrees with the model.
          for (const [subject, ss] of Object.entries(state?.subjects ?? {}))
            expect(ss.open === null ? undefined : ss.open.latched ? 'latched' : 'active').toBe(model.get(subject));
          // Transitions are in time order and ids never repeat.
          expect(all.map((t) => t.at)).toEqual([...all.map((t) => t.at)].sort((a, b) => a - b));
          expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
        },
      ),
      RUNS,
    );
  });

  test('alternation holds for interlock subjects too', () => {
    const interlock = ruleOf({
      kind: 'interlock',
      triggers: [1, 2, 3].map((pointId) => ({ pointId, cmp: 'at_least', value: 50 })),
      votesToTrip: 2,
      faultyInputVotes: 'trip',
      staleAfterMs: 10_000,
      action: { pointId: 4, cmp: 'equals', value: 0 },
      responseMs: 5_000,
      bypass: { pointId: 5, cmp: 'equals', value: 1 },
      tripLevel: { name: 'TRIP', colour: 'yellow' },
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 8_000 }), fc.constantFrom(0, 1, 30, 70), fc.boolean()), { maxLength: 80 }),
        (events) => {
          let t = 0;
          const readings = events.map(([pointId, gap, v, faulty]) => {
            t += gap;
            return rd(pointId, t, v, faulty ? 'fault' : 'good');
          });
          const ts = evaluateRule(interlock, undefined, { readings, positions: [] }, T0 + t + 60_000).transitions;
          for (const s of bySubject(ts).values()) expect(alternates(s)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  test('same inputs ⇒ identical output; and splitting the inputs into jobs changes nothing (retry idempotency)', () => {
    fc.assert(
      fc.property(
        thresholdArb,
        readingsArb(fc.double({ min: -150, max: 150, noNaN: true })).chain((readings) => jobsArb(readings).map((jobs) => ({ readings, jobs }))),
        (params, { readings, jobs }) => {
          const rule = ruleOf({
            kind: 'threshold',
            pointId: 1,
            deadband: params.deadband,
            onDelayMs: params.onDelayMs,
            offDelayMs: params.offDelayMs,
            latching: params.latching,
            levels: [
              { name: 'H', colour: 'orange', side: 'high', setpoint: params.setpoint },
              { name: 'HH', colour: 'red', side: 'high', setpoint: params.setpoint + 20 },
            ],
          });
          const end = T0 + 100_000_000;
          const once = evaluateRule(rule, undefined, { readings, positions: [] }, end);
          const again = evaluateRule(rule, undefined, { readings: readings.map((r) => ({ ...r })), positions: [] }, end);
          expect(JSON.stringify(again)).toBe(JSON.stringify(once));
          expect(runJobs(rule, jobs, end)).toEqual(once.transitions);
        },
      ),
      RUNS,
    );
  });
});
