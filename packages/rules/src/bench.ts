import { type JobReading, type RuleDocument, RuleDocumentSchema } from '@hazardwatch/contracts';
import { evaluateRule, type RuleInputs } from './evaluate-rule.js';
import type { RuleState } from './state.js';

/** One measured workload. */
export type BenchFigure = {
  name: string;
  /** `evaluateRule` calls per second. */
  evaluationsPerSec: number;
  /** Readings folded in per second. */
  readingsPerSec: number;
  calls: number;
  elapsedMs: number;
};

const T0 = 1_700_000_000_000;

const thresholdRule = (): RuleDocument =>
  RuleDocumentSchema.parse({
    id: 'bench-threshold',
    version: 1,
    enterpriseId: 'bench',
    hazardSourceId: 'hs',
    name: 'bench threshold',
    kind: 'threshold',
    pointId: 1,
    deadband: 1,
    onDelayMs: 2_000,
    levels: [
      { name: 'H', colour: 'orange', side: 'high', setpoint: 25 },
      { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
    ],
  });

const interlockRule = (): RuleDocument =>
  RuleDocumentSchema.parse({
    id: 'bench-interlock',
    version: 1,
    enterpriseId: 'bench',
    hazardSourceId: 'hs',
    name: 'bench interlock',
    kind: 'interlock',
    triggers: [1, 2, 3].map((pointId) => ({ pointId, cmp: 'at_least', value: 50 })),
    votesToTrip: 2,
    faultyInputVotes: 'trip',
    action: { pointId: 4, cmp: 'equals', value: 0 },
    responseMs: 5_000,
    bypass: { pointId: 5, cmp: 'equals', value: 1 },
  });

/** A deterministic wave that crosses the levels now and then (no Math.random: repeatable figures). */
function wave(i: number): number {
  return 20 + 35 * Math.max(0, Math.sin(i / 50)) + ((i * 7919) % 13) / 13;
}

function measure(name: string, rule: RuleDocument, makeInputs: (i: number) => RuleInputs, minMs: number): BenchFigure {
  let state: RuleState | undefined;
  let calls = 0;
  let readings = 0;
  const run = (n: number) => {
    for (let k = 0; k < n; k++) {
      const inputs = makeInputs(calls);
      const res = evaluateRule(rule, state, inputs, T0 + calls * 1000 + 999);
      state = res.state;
      calls++;
      readings += inputs.readings.length;
    }
  };
  run(20_000); // warm-up: let the JIT settle
  calls = 0;
  readings = 0;
  state = undefined;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    run(10_000);
    elapsed = performance.now() - start;
  }
  return {
    name,
    evaluationsPerSec: Math.round((calls / elapsed) * 1000),
    readingsPerSec: Math.round((readings / elapsed) * 1000),
    calls,
    elapsedMs: Math.round(elapsed),
  };
}

/**
 * Micro-benchmark of the engine on one core: threshold and interlock rules, one reading per call
 * (the worst case: a job per reading) and 100 readings per call (a batch), state carried from call
 * to call as the worker does (without the Redis round trip). `minMs` is the time per workload.
 */
export function benchEngine(options: { minMs?: number } = {}): BenchFigure[] {
  const minMs = options.minMs ?? 2_000;
  const threshold = thresholdRule();
  const interlock = interlockRule();
  const reading = (pointId: number, ts: number, value: number): JobReading => ({ pointId, ts, value, quality: 'good' });
  const batch = (i: number, n: number, f: (ts: number, k: number) => JobReading[]) => {
    const out: JobReading[] = [];
    for (let k = 0; k < n; k++) out.push(...f(T0 + i * 1000 + Math.floor((k * 1000) / n), i * n + k));
    return { readings: out, positions: [] };
  };
  const interlockReadings = (ts: number, k: number) => [
    reading(1, ts, wave(k)),
    reading(2, ts, wave(k + 3)),
    reading(3, ts, wave(k + 7)),
    reading(4, ts, wave(k) > 50 ? 0 : 1),
    reading(5, ts, 0),
  ];
  return [
    measure('threshold, 1 reading per call', threshold, (i) => ({ readings: [reading(1, T0 + i * 1000, wave(i))], positions: [] }), minMs),
    measure('threshold, 100 readings per call', threshold, (i) => batch(i, 100, (ts, k) => [reading(1, ts, wave(k))]), minMs),
    measure('interlock 2oo3, 5 readings per call', interlock, (i) => ({ readings: interlockReadings(T0 + i * 1000, i), positions: [] }), minMs),
    measure('interlock 2oo3, 100×5 readings per call', interlock, (i) => batch(i, 100, interlockReadings), minMs),
  ];
}
