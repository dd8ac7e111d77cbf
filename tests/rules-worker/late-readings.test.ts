import { Writable } from 'node:stream';
import type { EvaluateJob } from '@hazardwatch/contracts';
import { applySiteFile } from '@hazardwatch/db';
import { createLogger, metricsRegistry } from '@hazardwatch/observability';
import { createEvaluateProducer, createRedis, type EvaluateProducer, partitionOf, type Redis, sourceKey } from '@hazardwatch/queue';
import type { RulesWorker } from '@hazardwatch/rules-worker';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { allEvents, brief, createRules, failedEvaluateJobs, inProcessWorker, LEL_H, lelRule } from './support.js';

/**
 * A reading at or before the newest evaluated of its point is not evaluated (rule state is
 * time-ordered); the worker counts a redelivered one apart from a late one, and warns about the late.
 */
const PARTITIONS = 2;
let db: TestDatabase;
let redis: Redis;
let prefix: string;
let producer: EvaluateProducer;
let worker: RulesWorker;
let lel: number;
let partition: number;
const logLines: Array<Record<string, unknown>> = [];
const T0 = Date.now() - 60_000;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  const site = await applySiteFile(db.pool, smallPlant('ent-late'));
  lel = site.pointIds['ent-late-gas1.lel'] ?? -1;
  await createRules(db.pool, [lelRule('lel-late', 'ent-late', lel, [LEL_H])]);
  prefix = testRedisPrefix();
  redis = createRedis(testRedisUrl());
  producer = createEvaluateProducer({ connection: redis, prefix, partitions: PARTITIONS });
  partition = partitionOf(sourceKey('ent-late-unit'), PARTITIONS);
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  worker = inProcessWorker({ db, prefix, partitions: PARTITIONS }, { log: createLogger({ level: 'warn', destination: sink }) });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  redis?.disconnect();
  await dropRedisPrefix(prefix);
  await db?.drop();
});

async function counts(): Promise<{ evaluated: number; redelivered: number; late: number; undecidable: number }> {
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const m = metricsRegistry.getSingleMetric(name);
    if (!m) return 0;
    const got = await m.get();
    return got.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  };
  return {
    evaluated: await value('hazardwatch_rules_readings_evaluated_total'),
    redelivered: await value('hazardwatch_rules_inputs_skipped_total'),
    late: await value('hazardwatch_rules_inputs_late_total', { reason: 'late' }),
    undecidable: await value('hazardwatch_rules_inputs_late_total', { reason: 'late_or_redelivered' }),
  };
}

const job = (readings: Array<[number, number]>): EvaluateJob => ({
  v: 1,
  partition,
  batchId: `late-${n++}`,
  committedAt: Date.now(),
  readings: readings.map(([dt, value]) => ({ pointId: lel, ts: T0 + dt, value, quality: 'good' as const })),
  positions: [],
  statuses: [],
});

/** Enqueues a job and waits until the worker has counted all its readings one way or another. */
async function run(readings: Array<[number, number]>) {
  const before = await counts();
  await producer.enqueue([job(readings)]);
  await waitFor(
    async () => {
      const c = await counts();
      return (
        c.evaluated + c.redelivered + c.late + c.undecidable - (before.evaluated + before.redelivered + before.late + before.undecidable) >= readings.length
      );
    },
    { what: 'the job counted', timeoutMs: 15_000 },
  );
  const after = await counts();
  return {
    evaluated: after.evaluated - before.evaluated,
    redelivered: after.redelivered - before.redelivered,
    late: after.late - before.late,
    undecidable: after.undecidable - before.undecidable,
  };
}

describe('late and redelivered readings', () => {
  it('counts a redelivered reading as redelivered and a late one as late, evaluates neither, and warns about the late one', async () => {
    const subject = `point:${lel}`;
    expect(
      await run([
        [1_000, 10],
        [2_000, 30],
        [3_000, 10],
      ]),
    ).toEqual({ evaluated: 3, redelivered: 0, late: 0, undecidable: 0 });
    expect(brief(await allEvents(db.pool))).toEqual([`${subject} raised H`, `${subject} returned_to_normal H`]);

    // The same message again (ingest could not acknowledge it), plus a device's out-of-order upload.
    expect(
      await run([
        [2_000, 30],
        [3_000, 10],
        [2_500, 60],
      ]),
    ).toEqual({ evaluated: 0, redelivered: 2, late: 1, undecidable: 0 });
    expect(await allEvents(db.pool)).toHaveLength(2);
    const warn = logLines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('late reading skipped'));
    expect(warn).toMatchObject({ level: 40, pointId: lel, ts: T0 + 2_500, newestEvaluated: T0 + 3_000, lagMs: 500, reason: 'late' });
    const redeliveryWarnings = logLines.filter((l) => l.ts === T0 + 2_000 || l.ts === T0 + 3_000);
    expect(redeliveryWarnings).toEqual([]);

    // Older than every remembered timestamp (40 newer were evaluated since): cannot tell which.
    expect(await run(Array.from({ length: 40 }, (_, i) => [10_000 + i * 100, 10] as [number, number]))).toMatchObject({ evaluated: 40 });
    expect(
      await run([
        [3_000, 60],
        [4_000, 60],
        [13_900, 10],
      ]),
    ).toEqual({ evaluated: 0, redelivered: 1, late: 0, undecidable: 2 });
    // The warning is rate-limited: the second job's late readings are held back (one line per 10 s).
    expect(logLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('late reading skipped'))).toHaveLength(1);
    expect(await allEvents(db.pool)).toHaveLength(2);
    expect(await failedEvaluateJobs(redis, prefix, PARTITIONS)).toEqual([]);
  });
});
