import type { EvaluateJob, JobReading } from '@hazardwatch/contracts';
import { applySiteFile, getCurrentRule, listAlarms } from '@hazardwatch/db';
import { createEvaluateProducer, createRedis, type EvaluateProducer, partitionOf, QueueNames, type Redis, sourceKey } from '@hazardwatch/queue';
import { type RulesWorker, requestLatchReset } from '@hazardwatch/rules-worker';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { allEvents, brief, createRules, failedEvaluateJobs, inProcessWorker, LEL_H, LEL_HH, lelRule } from './support.js';

const PARTITIONS = 4;
let db: TestDatabase;
let redis: Redis;
let prefix: string;
let producer: EvaluateProducer;
let worker: RulesWorker;
let lel: number;
let partition: number;
let batch = 0;

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  const site = await applySiteFile(db.pool, smallPlant('ent-w', '370321'));
  lel = site.pointIds['ent-w-gas1.lel'] ?? -1;
  prefix = testRedisPrefix();
  redis = createRedis(testRedisUrl());
  producer = createEvaluateProducer({ connection: redis, prefix, partitions: PARTITIONS });
  partition = partitionOf(sourceKey('ent-w-unit'), PARTITIONS);
  await createRules(db.pool, [lelRule('lel-w', 'ent-w', lel, [LEL_H, LEL_HH])]);
  worker = inProcessWorker({ db, prefix, partitions: PARTITIONS });
  await worker.start();
  T0 = Date.now() + 2_000;
});
afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  redis?.disconnect();
  await dropRedisPrefix(prefix);
  await db?.drop();
});

// Data time just ahead of the ticks (which run at wall time minus their lag), as live data is.
let T0 = 0;
function job(values: Array<[number, number]>, batchId = `b-${batch++}`): EvaluateJob {
  const readings: JobReading[] = values.map(([dt, value]) => ({ pointId: lel, ts: T0 + dt, value, quality: 'good' }));
  return { v: 1, partition, batchId, committedAt: Date.now(), readings, positions: [], statuses: [] };
}

describe('rules worker on evaluation jobs', () => {
  it('raises, changes level and clears in order, once, whatever is redelivered', async () => {
    const first = job([
      [0, 10],
      [100, 30],
    ]);
    await producer.enqueue([first, job([[200, 60]]), job([[300, 20]])]);
    await waitFor(async () => (await allEvents(db.pool)).length >= 3, { what: 'three events' });
    // A redelivered MQTT message: a second job with readings already evaluated.
    await producer.enqueue([{ ...first, batchId: 'redelivered' }, job([[400, 5]])]);
    await waitFor(async () => (await new Queue(QueueNames.evaluate(partition), { connection: redis, prefix }).getCompletedCount()) >= 5, {
      what: 'five jobs done',
    });
    const events = await allEvents(db.pool);
    expect(brief(events)).toEqual([`point:${lel} raised H`, `point:${lel} level_changed HH`, `point:${lel} returned_to_normal HH`]);
    expect(events.map((e) => e.at)).toEqual([T0 + 100, T0 + 200, T0 + 300]);
    expect(events.every((e) => e.regionCode === '370321')).toBe(true);
    const alarms = await listAlarms(db.pool, { ruleId: 'lel-w' });
    expect(alarms.items).toHaveLength(1);
    expect(alarms.items[0]?.state).toBe('rtn_unacknowledged');

    // Published for dispatch (one job per event) and for the live stream.
    const q = new Queue(QueueNames.alarmEvents, { connection: redis, prefix });
    const delivered = await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'], 0, -1, true);
    expect(delivered.map((j) => j.data.id).sort()).toEqual(events.map((e) => e.id).sort());
    await q.close();
  });

  it('dead-letters a poison job and goes on with the partition', async () => {
    const q = new Queue(QueueNames.evaluate(partition), { connection: redis, prefix });
    await q.add('evaluate', { v: 1, partition, batchId: 'poison', readings: 'not a list' }, { jobId: 'poison' });
    await producer.enqueue([job([[500, 40]])]);
    await waitFor(async () => (await allEvents(db.pool)).length >= 4, { what: 'the raise after the poison job' });
    expect(await failedEvaluateJobs(redis, prefix, PARTITIONS)).toEqual([expect.stringContaining('poison: HW_RULES_WORKER_POISON_JOB')]);
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  });

  it('refuses to reset a latch whose condition is still active', async () => {
    await createRules(db.pool, [
      {
        id: 'lel-latch',
        version: 1,
        enterpriseId: 'ent-w',
        hazardSourceId: 'ent-w-unit',
        name: 'LEL latching',
        kind: 'threshold',
        pointId: lel,
        latching: true,
        levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 25 }],
      },
    ]);
    await waitFor(() => worker.rulesCached() === 2, { what: 'the new rule picked up (NOTIFY)' });
    await producer.enqueue([job([[600, 40]])]);
    await waitFor(async () => (await allEvents(db.pool)).some((e) => e.ruleId === 'lel-latch'), { what: 'the latching rule raised' });
    const outcome = await requestLatchReset(
      { connection: redis, prefix, partitions: PARTITIONS },
      { partitionKey: 'source:ent-w-unit', ruleId: 'lel-latch', subject: `point:${lel}`, eventId: 'reset-early', actor: 'op', requestedAt: Date.now() },
    );
    expect(outcome).toMatchObject({ ok: false, code: 'HW_RULES_RESET_CONDITION_ACTIVE' });
    expect((await allEvents(db.pool)).filter((e) => e.ruleId === 'lel-latch').map((e) => e.type)).toEqual(['raised']);
  });

  it('keeps rule versions as stored', async () => {
    expect((await getCurrentRule(db.pool, 'lel-w'))?.version).toBe(1);
  });
});
