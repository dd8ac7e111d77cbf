import type { JobReading, RuleDocumentInput } from '@hazardwatch/contracts';
import { RuleDocumentSchema } from '@hazardwatch/contracts';
import { evaluateRule } from '@hazardwatch/rules';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { type OutMessage, publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';
import { allEvents, createRules, waitForQuiet, waitUntilRunning, workerProcess } from './support.js';

const ENT = 'ent-crash';
const MESSAGES = 1_200;
let stack: IngestStack;
const workers: ServiceProcess[] = [];

/** A wave that crosses 6 and 8 often, with its own period per channel: many raises, level changes and clears. */
const wave = (i: number, period: number, phase: number) => Math.round((5 + 4.6 * Math.sin((2 * Math.PI * i) / period + phase)) * 100) / 100;

function rules(points: Record<string, number>): RuleDocumentInput[] {
  const rtu = Array.from({ length: 8 }, (_, c) => ({ key: `${ENT}-rtu1.c${c}`, source: `${ENT}-tanks` }));
  const gas = [`${ENT}-gas1.lel`, `${ENT}-gas2.lel`].map((key) => ({ key, source: `${ENT}-unit` }));
  return [...rtu, ...gas].map(({ key, source }) => ({
    id: `r-${key.replaceAll('.', '-')}`,
    version: 1,
    enterpriseId: ENT,
    hazardSourceId: source,
    name: `threshold ${key}`,
    kind: 'threshold',
    pointId: points[key] ?? -1,
    deadband: 0.3,
    levels: [
      { name: 'H', colour: 'orange', side: 'high', setpoint: 6 },
      { name: 'HH', colour: 'red', side: 'high', setpoint: 8 },
    ],
  }));
}

/** Messages in time order, alternating the RTU (8 channels) and the two gas detectors. */
function stream(t0: number): { messages: OutMessage[]; readings: JobReading[] } {
  const messages: OutMessage[] = [];
  const readings: JobReading[] = [];
  const points = stack.site.pointIds;
  for (let i = 0; i < MESSAGES; i++) {
    const ts = t0 + i * 20;
    const device = i % 3 === 0 ? 'rtu1' : i % 3 === 1 ? 'gas1' : 'gas2';
    const values: Record<string, number> = {};
    if (device === 'rtu1') for (let c = 0; c < 8; c++) values[`c${c}`] = wave(i, 40 + 7 * c, c);
    else values.lel = wave(i, device === 'gas1' ? 55 : 71, 0.5);
    for (const [ch, value] of Object.entries(values)) readings.push({ pointId: points[`${ENT}-${device}.${ch}`] ?? -1, ts, value, quality: 'good' });
    messages.push({ topic: `${stack.topicPrefix}hw/v1/${ENT}/${ENT}-${device}/telemetry`, payload: JSON.stringify({ ts, values }) });
  }
  return { messages, readings };
}

beforeAll(async () => {
  // One ingest connection and one message per batch: each device's messages reach the worker in
  // order, so the exact transitions can be computed beforehand.
  stack = await startIngestStack(smallPlant(ENT), { partitions: 4, connections: 1, batchMaxRows: 1 });
  await createRules(stack.db.pool, rules(stack.site.pointIds));
  workers.push(workerProcess(stack));
  await waitUntilRunning(workers[0] as ServiceProcess);
});
afterAll(async () => {
  // A SIGKILLed process has exited already (exitCode stays null, signalCode is set).
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) await w.kill('SIGTERM');
  await stack?.dispose();
});

describe('a rules worker killed mid-stream', () => {
  it('loses no transition, duplicates none, and keeps each subject in order', async () => {
    const docs = rules(stack.site.pointIds).map((d) => RuleDocumentSchema.parse(d));
    // Data time a little ahead of the wall clock, as live data is (ticks run behind it).
    const { messages, readings } = stream(Date.now() + 2_000);
    const expected = docs.flatMap((rule) => {
      const mine = readings.filter((r) => r.pointId === (rule.kind === 'threshold' ? rule.pointId : -1));
      return evaluateRule(rule, undefined, { readings: mine, positions: [] }, mine.at(-1)?.ts ?? 0).transitions;
    });
    expect(expected.length).toBeGreaterThan(100);

    const third = Math.floor(MESSAGES / 3);
    // Hold the alarm store (inserts into alarm_events wait) so that the worker is caught in the
    // middle of a job: evaluated, transitions not yet committed, state not yet written.
    const locker = await stack.db.pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE alarm_events IN EXCLUSIVE MODE');
    const victim = workers[0] as ServiceProcess;
    try {
      expect(await publishAll(stack.broker.url, messages.slice(0, third), { connections: 1, window: 20 })).toBe(third);
      await waitFor(
        async () => {
          const r = await stack.db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'hazardwatch-rules-worker' AND wait_event_type = 'Lock'`,
          );
          return (r.rows[0]?.n ?? 0) > 0;
        },
        { what: 'the worker blocked inside a job' },
      );
      await victim.kill('SIGKILL');
    } finally {
      await locker.query('COMMIT');
      locker.release();
    }
    // The pool goes on with another member; the dead one's job is stalled and comes back to it.
    const survivor = workerProcess(stack);
    workers.push(survivor);
    await waitUntilRunning(survivor);
    expect(await publishAll(stack.broker.url, messages.slice(third), { connections: 1, window: 20 })).toBe(MESSAGES - third);
    await waitForQuiet(stack, 50_000);

    const events = await allEvents(stack.db.pool);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice().sort()).toEqual(expected.map((t) => t.id).sort());
    expect(survivor.output()).toContain('stalled job of a dead worker taken back into the queue');
    // Per subject, events are stored (seq order) in the order the engine decided them.
    for (const subject of new Set(expected.map((t) => t.subject))) {
      expect(events.filter((e) => e.subject === subject).map((e) => e.id)).toEqual(expected.filter((t) => t.subject === subject).map((t) => t.id));
    }
  }, 90_000);
});
