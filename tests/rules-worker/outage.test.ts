import type { EvaluateJob } from '@hazardwatch/contracts';
import { applySiteFile, createPool, createRuleVersion, type Pool } from '@hazardwatch/db';
import { createEvaluateProducer, createRedis, type EvaluateProducer, partitionOf, QueueNames, type Redis, sourceKey } from '@hazardwatch/queue';
import type { RulesWorker } from '@hazardwatch/rules-worker';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { allEvents, brief, createRules, failedEvaluateJobs, inProcessWorker, LEL_H, LEL_HH, lelRule } from './support.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const PARTITIONS = 2;
let db: TestDatabase;
let proxy: TcpProxy;
let workerPool: Pool;
let redis: Redis;
let prefix: string;
let producer: EvaluateProducer;
let lel: number;
let lel2: number;
let partition: number;
let T0 = 0;
let n = 0;
const workers: RulesWorker[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  const site = await applySiteFile(db.pool, smallPlant('ent-o'));
  lel = site.pointIds['ent-o-gas1.lel'] ?? -1;
  lel2 = site.pointIds['ent-o-gas2.lel'] ?? -1;
  await createRules(db.pool, [lelRule('lel-o', 'ent-o', lel, [LEL_H, LEL_HH]), lelRule('lel-o2', 'ent-o', lel2, [LEL_H], 'LEL 2')]);
  // The worker reaches PostgreSQL through a proxy the test can cut.
  const u = new URL(db.url);
  proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
  u.host = `127.0.0.1:${proxy.port}`;
  workerPool = createPool(u.toString(), { max: 5, onError: () => undefined });
  prefix = testRedisPrefix();
  redis = createRedis(testRedisUrl());
  producer = createEvaluateProducer({ connection: redis, prefix, partitions: PARTITIONS });
  partition = partitionOf(sourceKey('ent-o-unit'), PARTITIONS);
  workers.push(inProcessWorker({ db: { pool: workerPool }, prefix, partitions: PARTITIONS }, { versionCheckMs: 1_000 }));
  await workers[0]?.start();
  T0 = Date.now() + 3_000;
});
afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  await producer?.close();
  await workerPool?.end().catch(() => undefined);
  await proxy?.close();
  redis?.disconnect();
  await dropRedisPrefix(prefix);
  await db?.drop();
});

const job = (value: number): EvaluateJob => ({
  v: 1,
  partition,
  batchId: `o-${n}`,
  committedAt: Date.now(),
  readings: [{ pointId: lel, ts: T0 + 100 * n++, value, quality: 'good' }],
  positions: [],
  statuses: [],
});

async function jobStates(): Promise<Record<string, number>> {
  const q = new Queue(QueueNames.evaluate(partition), { connection: redis, prefix });
  const c = await q.getJobCounts('active', 'wait', 'waiting', 'failed', 'completed');
  await q.close();
  return c;
}

describe('rules worker through a PostgreSQL outage', () => {
  it('retries the job in place, lets nothing overtake it, and catches up in order', async () => {
    await producer.enqueue([job(30)]);
    await waitFor(async () => (await allEvents(db.pool)).length === 1, { what: 'the raise' });

    await proxy.cut();
    await producer.enqueue([job(60), job(10)]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await allEvents(db.pool)).length).toBe(1);
    // The level-change job is retrying inside the processor; the clear waits behind it.
    const during = await jobStates();
    expect(during.active).toBe(1);
    expect((during.wait ?? 0) + (during.waiting ?? 0)).toBeGreaterThanOrEqual(1);

    await proxy.restore();
    await waitFor(async () => (await allEvents(db.pool)).length === 3, { timeoutMs: 20_000, what: 'the catch-up' });
    const subject = `point:${lel}`;
    expect(brief(await allEvents(db.pool))).toEqual([`${subject} raised H`, `${subject} level_changed HH`, `${subject} returned_to_normal HH`]);
    expect(await failedEvaluateJobs(redis, prefix, PARTITIONS)).toEqual([]);

    // The rule listener reconnected: a change made after the outage is picked up.
    await createRuleVersion(db.pool, 'lel-o', lelRule('lel-o', 'ent-o', lel, [{ ...LEL_H, setpoint: 5 }]), { by: 'test' });
    await waitFor(async () => (await allEvents(db.pool)).length === 4, { timeoutMs: 15_000, what: 'the raise under version 2' });
    expect((await allEvents(db.pool))[3]?.id.startsWith('lel-o:2:')).toBe(true);
  });

  it('gives a retrying job back to the head of its queue when the worker stops, for the next worker', async () => {
    const before = (await allEvents(db.pool)).length;
    await proxy.cut();
    const stuck: EvaluateJob = { ...job(0), batchId: 'stuck', readings: [{ pointId: lel2, ts: T0 + 100 * n++, value: 40, quality: 'good' }] };
    await producer.enqueue([stuck]);
    const q = new Queue(QueueNames.evaluate(partition), { connection: redis, prefix });
    await waitFor(async () => (await q.getJobState('stuck')) === 'active', { what: 'the job retrying' });
    await new Promise((r) => setTimeout(r, 500));
    await workers[0]?.stop();
    expect(await q.getJobState('stuck')).toBe('waiting');
    // At the head: the next job a worker takes (BullMQ pops the right end of the wait list).
    expect(await redis.lindex(`${prefix}:${QueueNames.evaluate(partition)}:wait`, -1)).toBe('stuck');
    expect(await failedEvaluateJobs(redis, prefix, PARTITIONS)).toEqual([]);

    await proxy.restore();
    const next = inProcessWorker({ db: { pool: workerPool }, prefix, partitions: PARTITIONS });
    workers.push(next);
    await next.start();
    await waitFor(async () => (await allEvents(db.pool)).length === before + 1, { timeoutMs: 15_000, what: 'the job done by the next worker' });
    expect((await allEvents(db.pool)).at(-1)).toMatchObject({ subject: `point:${lel2}`, type: 'raised' });
    await q.close();
  });
});
