import type { SiteFile } from '@hazardwatch/contracts';
import { type AlarmEvent, type JobReading, type RuleDocumentInput, RuleDocumentSchema } from '@hazardwatch/contracts';
import { QueueNames } from '@hazardwatch/queue';
import { evaluateRule } from '@hazardwatch/rules';
import { waitFor } from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, createRules, waitForQuiet, waitUntilRunning, workerProcess } from '../rules-worker/support.js';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { type OutMessage, publishAll } from '../support/publish.js';

const ENT = 'ent-pool';
const SOURCES = 6;
const MESSAGES = 900;
let stack: IngestStack;
const workers: ServiceProcess[] = [];

/** Six hazard sources with one detector each, so evaluation spreads over several partitions. */
function site(): SiteFile {
  return {
    version: 1,
    enterprise: { id: ENT, name: 'Pool plant', regionCode: '370321' },
    hazardSources: Array.from({ length: SOURCES }, (_, k) => ({
      id: `${ENT}-hs${k}`,
      name: `unit ${k}`,
      kind: 'process_unit' as const,
      chemicals: [],
      peopleWithin500m: 0,
    })),
    devices: Array.from({ length: SOURCES }, (_, k) => ({
      id: `${ENT}-d${k}`,
      hazardSourceId: `${ENT}-hs${k}`,
      points: [{ channel: 'lel', kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100 }],
    })),
    vehicles: [],
    geofences: [],
  };
}

const wave = (i: number, period: number) => Math.round((5 + 4.6 * Math.sin((2 * Math.PI * i) / period)) * 100) / 100;

function rules(points: Record<string, number>): RuleDocumentInput[] {
  return Array.from({ length: SOURCES }, (_, k) => ({
    id: `pool-r${k}`,
    version: 1,
    enterpriseId: ENT,
    hazardSourceId: `${ENT}-hs${k}`,
    name: `threshold d${k}`,
    kind: 'threshold' as const,
    pointId: points[`${ENT}-d${k}.lel`] ?? -1,
    deadband: 0.3,
    levels: [
      { name: 'H', colour: 'orange' as const, side: 'high' as const, setpoint: 6 },
      { name: 'HH', colour: 'red' as const, side: 'high' as const, setpoint: 8 },
    ],
  }));
}

beforeAll(async () => {
  // One ingest connection, one message per batch: each detector's readings reach the pool in order,
  // so the exact transitions are known beforehand.
  stack = await startIngestStack(site(), { partitions: 8, connections: 1, batchMaxRows: 1 });
  await createRules(stack.db.pool, rules(stack.site.pointIds));
  workers.push(workerProcess(stack, { LOG_LEVEL: 'info' }), workerProcess(stack, { LOG_LEVEL: 'info' }));
  for (const w of workers) await waitUntilRunning(w);
  // Both members must be listening on every partition queue before data flows (a loaded machine
  // can start one much later than the other).
  await waitFor(
    async () => {
      for (let n = 0; n < stack.partitions; n++) {
        const q = new Queue(QueueNames.evaluate(n), { connection: stack.redis, prefix: stack.prefix });
        const listening = (await q.getWorkers()).length;
        await q.close();
        if (listening < 2) return false;
      }
      return true;
    },
    { what: 'both workers on every partition queue', timeoutMs: 30_000 },
  );
});
afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null) await w.kill('SIGTERM');
  await stack?.dispose();
});

/** Pids of the processes that completed evaluation jobs (BullMQ records host:pid on each job). */
async function evaluateProcessors(): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let n = 0; n < stack.partitions; n++) {
    const q = new Queue(QueueNames.evaluate(n), { connection: stack.redis, prefix: stack.prefix });
    for (const job of await q.getJobs(['completed'], 0, -1)) {
      const pid = job.name === 'evaluate' ? job.processedBy?.split(':').at(-1) : undefined;
      if (pid) pids.add(pid);
    }
    await q.close();
  }
  return pids;
}

describe('scale-out: two rules-worker processes on the same partition queues', () => {
  it('split the partitions between them and keep every source in order', async () => {
    const points = stack.site.pointIds;
    const t0 = Date.now() + 2_000;
    const messages: OutMessage[] = [];
    const readings: JobReading[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const k = i % SOURCES;
      const ts = t0 + i * 20;
      const value = wave(i, 37 + 5 * k);
      readings.push({ pointId: points[`${ENT}-d${k}.lel`] ?? -1, ts, value, quality: 'good' });
      messages.push({ topic: `${stack.topicPrefix}hw/v1/${ENT}/${ENT}-d${k}/telemetry`, payload: JSON.stringify({ ts, values: { lel: value } }) });
    }
    const docs = rules(points).map((d) => RuleDocumentSchema.parse(d));
    const expected = docs.flatMap((rule) => {
      const mine = readings.filter((r) => rule.kind === 'threshold' && r.pointId === rule.pointId);
      return evaluateRule(rule, undefined, { readings: mine, positions: [] }, mine.at(-1)?.ts ?? 0).transitions;
    });
    expect(expected.length).toBeGreaterThan(50);

    // Both members listen on every partition queue, but BullMQ hands a worker that finishes a job
    // the next waiting one in the same call: on a loaded machine one process can chain every job
    // while the other's wake-up comes too late. So the member that has taken jobs is paused
    // (SIGSTOP: a stalled process, as under GC or CPU starvation) for the middle third of the
    // stream — the other must take those — and resumed for the last third, both running.
    const third = Math.ceil(MESSAGES / 3);
    expect(await publishAll(stack.broker.url, messages.slice(0, third), { connections: 1, window: 20 })).toBe(third);
    await waitForQuiet(stack, 60_000);
    const early = await evaluateProcessors();
    const paused = early.size === 1 ? workers.find((w) => early.has(String(w.proc.pid))) : undefined;
    paused?.proc.kill('SIGSTOP');
    try {
      expect(await publishAll(stack.broker.url, messages.slice(third, 2 * third), { connections: 1, window: 20 })).toBe(third);
      await waitFor(async () => (await evaluateProcessors()).size === 2, { what: 'the other member to take jobs', timeoutMs: 30_000 });
    } finally {
      paused?.proc.kill('SIGCONT');
    }
    expect(await publishAll(stack.broker.url, messages.slice(2 * third), { connections: 1, window: 20 })).toBe(MESSAGES - 2 * third);
    await waitForQuiet(stack, 60_000);

    // Exactly the engine's transitions, each once, in order per subject.
    const events: AlarmEvent[] = await allEvents(stack.db.pool);
    expect(events.map((e) => e.id).sort()).toEqual(expected.map((t) => t.id).sort());
    for (const subject of new Set(expected.map((t) => t.subject))) {
      expect(events.filter((e) => e.subject === subject).map((e) => e.id)).toEqual(expected.filter((t) => t.subject === subject).map((t) => t.id));
    }

    // Both members took evaluation jobs (BullMQ records the worker name, host:pid, on each job).
    expect([...(await evaluateProcessors())].sort()).toEqual(workers.map((w) => String(w.proc.pid)).sort());
  }, 120_000);
});
