import type { SiteFile } from '@hazardwatch/contracts';
import { applySiteFile, countReadings } from '@hazardwatch/db';
import { createIngest, type Ingest } from '@hazardwatch/ingest';
import { createEvaluateProducer, createRedis, type EvaluateProducer, QueueNames, type Redis } from '@hazardwatch/queue';
import {
  createTestDatabase,
  startMosquitto,
  startOwnRedis,
  type TestBroker,
  type TestDatabase,
  testRedisPrefix,
  uniqueToken,
  waitFor,
} from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceProcess, spawnService } from '../support/ingest-process.js';
import { testLog } from '../support/ingest-stack.js';
import { allEvents, brief, createRules, failedEvaluateJobs, pendingEvaluateJobs } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * Fault test: Redis goes away under a live stream (ingest enqueueing, a rules worker process
 * evaluating) and comes back. Eight hazard sources, each with a gas detector and a two-level
 * threshold rule, publish crossing and clearing readings in turn; a background device adds
 * load. Whatever the broker acknowledged to the devices must be stored, every transition must
 * be stored exactly once and in order per source, and both services must carry on by themselves.
 */

const ENT = 'ent-rr';
const SOURCES = 8;
const PARTITIONS = 4;
const PATTERN = [10, 30, 60, 30, 10, 60, 10, 30, 10];

function site(): SiteFile {
  return {
    version: 1,
    enterprise: { id: ENT, name: 'Redis restart plant', regionCode: '370321' },
    hazardSources: [
      ...Array.from({ length: SOURCES }, (_, i) => ({
        id: `${ENT}-s${i}`,
        name: `Unit ${i}`,
        kind: 'process_unit' as const,
        chemicals: [],
        peopleWithin500m: 0,
      })),
      { id: `${ENT}-bg`, name: 'Tanks', kind: 'tank_farm' as const, chemicals: [], peopleWithin500m: 0 },
    ],
    devices: [
      ...Array.from({ length: SOURCES }, (_, i) => ({
        id: `${ENT}-gd${i}`,
        hazardSourceId: `${ENT}-s${i}`,
        points: [{ channel: 'lel', kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100 }],
      })),
      {
        id: `${ENT}-rtu`,
        hazardSourceId: `${ENT}-bg`,
        points: Array.from({ length: 8 }, (_, c) => ({ channel: `c${c}`, kind: 'pressure' as const, unit: 'MPa', rangeMin: 0, rangeMax: 10 })),
      },
    ],
    vehicles: [],
    geofences: [],
  };
}

/** The events a two-level threshold (H ≥ 25, HH ≥ 50, no deadband, not latching) must give for `values`. */
function expectedEvents(subject: string, values: readonly number[]): string[] {
  const out: string[] = [];
  let prev: string | null = null;
  for (const v of values) {
    const cur = v >= 50 ? 'HH' : v >= 25 ? 'H' : null;
    if (cur === prev) continue;
    if (prev === null) out.push(`${subject} raised ${cur}`);
    else if (cur === null) out.push(`${subject} returned_to_normal ${prev}`);
    else out.push(`${subject} level_changed ${cur}`);
    prev = cur;
  }
  return out;
}

type Outage = { begin(): Promise<void>; end(): Promise<void> };

type Rig = {
  db: TestDatabase;
  broker: TestBroker;
  redis: Redis;
  prefix: string;
  topicPrefix: string;
  producer: EvaluateProducer;
  ingest: Ingest;
  worker: ServiceProcess;
  workerLog: string[];
  points: number[];
  dispose(): Promise<void>;
};

/** Database, own broker, ingest in this process and a rules worker process, both reaching Redis at `redisUrl`. */
async function startRig(redisUrl: string): Promise<Rig> {
  const db = await createTestDatabase({ timescale: 'off' });
  const broker = await startMosquitto();
  const s = await applySiteFile(db.pool, site());
  const points = Array.from({ length: SOURCES }, (_, i) => s.pointIds[`${ENT}-gd${i}.lel`] ?? -1);
  await createRules(
    db.pool,
    points.map((pointId, i) => ({
      id: `lel-${i}`,
      version: 1,
      enterpriseId: ENT,
      hazardSourceId: `${ENT}-s${i}`,
      name: `LEL ${i}`,
      kind: 'threshold' as const,
      pointId,
      levels: [
        { name: 'H', colour: 'orange' as const, side: 'high' as const, setpoint: 25 },
        { name: 'HH', colour: 'red' as const, side: 'high' as const, setpoint: 50 },
      ],
    })),
  );
  const prefix = testRedisPrefix();
  const topicPrefix = `rr${uniqueToken()}/`;
  const redis = createRedis(redisUrl, { onError: () => undefined });
  const producer = createEvaluateProducer({ connection: redis, prefix, partitions: PARTITIONS });
  const ingest = createIngest({
    pool: db.pool,
    producer,
    log: testLog,
    settings: {
      topicPrefix,
      batchMaxRows: 2000,
      batchMaxWaitMs: 20,
      maxPayloadBytes: 64 * 1024,
      maxFutureSkewMs: 300_000,
      maxAgeMs: 30 * 86_400_000,
      deadLetterMaxPayloadBytes: 1024,
    },
    // Few subscriber connections: the shared subscription may reorder messages between members,
    // by at most about their number; one source's readings are SOURCES messages apart.
    transport: { kind: 'mqtt', url: broker.url, clientId: `rr-${uniqueToken()}`, connections: 4, shareGroup: 'ingest' },
    retry: { minMs: 50, maxMs: 500 },
  });
  await ingest.start();
  const worker = spawnService('services/rules-worker/src/main.ts', {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    EVAL_PARTITIONS: String(PARTITIONS),
    RULES_WORKER_TICK_MS: '250',
    LOG_LEVEL: 'info',
  });
  const workerLog: string[] = [];
  let tail = '';
  const collect = (b: Buffer) => {
    const lines = (tail + b.toString()).split('\n');
    tail = lines.pop() ?? '';
    workerLog.push(...lines);
  };
  worker.proc.stdout?.on('data', collect);
  worker.proc.stderr?.on('data', collect);
  await waitFor(() => workerLog.some((l) => l.includes('"rules loaded"')) || worker.proc.exitCode !== null, { timeoutMs: 30_000, what: 'worker rules loaded' });
  if (worker.proc.exitCode !== null) throw new Error(`worker exited ${worker.proc.exitCode}:\n${worker.output()}`);
  return {
    db,
    broker,
    redis,
    prefix,
    topicPrefix,
    producer,
    ingest,
    worker,
    workerLog,
    points,
    async dispose() {
      await worker.kill('SIGTERM').catch(() => undefined);
      await ingest.stop(2_000).catch(() => undefined);
      await producer.close().catch(() => undefined);
      redis.disconnect();
      await broker.dispose();
      await db.drop();
    },
  };
}

/**
 * Publishes, QoS 1, one gas reading every `everyMs` to the sources in turn (one source every
 * SOURCES × everyMs) and a background message of 8 readings every `bgEveryMs`, for `durationMs`.
 * Returns what the broker acknowledged: the gas values per source in publish order, and the
 * reading count.
 */
async function publishStream(rig: Rig, o: { durationMs: number; everyMs: number; bgEveryMs: number }) {
  const client = await mqtt.connectAsync(rig.broker.url, { clean: true, reconnectPeriod: 500 });
  const bg = await mqtt.connectAsync(rig.broker.url, { clean: true, reconnectPeriod: 500 });
  const acked: number[][] = Array.from({ length: SOURCES }, () => []);
  let readings = 0;
  const start = Date.now();
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  const gas = async () => {
    for (let k = 0; start + k * o.everyMs < start + o.durationMs; k++) {
      await sleepUntil(start + k * o.everyMs);
      const i = k % SOURCES;
      const value = PATTERN[(Math.floor(k / SOURCES) + i) % PATTERN.length] ?? 10;
      const topic = `${rig.topicPrefix}hw/v1/${ENT}/${ENT}-gd${i}/telemetry`;
      await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), values: { lel: value } }), { qos: 1 });
      acked[i]?.push(value);
      readings++;
    }
  };
  const background = async () => {
    for (let k = 0; start + k * o.bgEveryMs < start + o.durationMs; k++) {
      await sleepUntil(start + k * o.bgEveryMs);
      const values: Record<string, number> = {};
      for (let c = 0; c < 8; c++) values[`c${c}`] = ((k + c) % 100) / 10;
      await bg.publishAsync(`${rig.topicPrefix}hw/v1/${ENT}/${ENT}-rtu/telemetry`, JSON.stringify({ ts: start + k, values }), { qos: 1 });
      readings += 8;
    }
  };
  await Promise.all([gas(), background()]);
  await Promise.all([client.endAsync(), bg.endAsync()]);
  return { acked, readings };
}

async function alarmEventJobs(rig: Rig): Promise<number> {
  const q = new Queue(QueueNames.alarmEvents, { connection: rig.redis, prefix: rig.prefix });
  const c = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'paused');
  await q.close();
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** Runs the stream with an outage from `outageAt` for `outageMs`, then checks everything. */
async function runThroughOutage(rig: Rig, outage: Outage, o: { durationMs: number; outageAt: number; outageMs: number }) {
  const publishing = publishStream(rig, { durationMs: o.durationMs, everyMs: 25, bgEveryMs: 20 });
  await new Promise((r) => setTimeout(r, o.outageAt));
  // Something must be flowing when Redis goes: events are being stored.
  expect((await allEvents(rig.db.pool)).length).toBeGreaterThan(0);
  await outage.begin();
  const began = Date.now();
  // Ingest holds the acknowledgements of what it cannot enqueue, and says so.
  await waitFor(() => rig.ingest.state() === 'queue_unavailable', { timeoutMs: o.outageMs - 500, what: 'ingest reporting queue_unavailable' });
  expect(rig.ingest.pending()).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, began + o.outageMs - Date.now()));
  await outage.end();
  const { acked, readings } = await publishing;
  const publishedAt = Date.now();

  const expected = acked.flatMap((values, i) => expectedEvents(`point:${rig.points[i]}`, values));
  await waitFor(async () => (await countReadings(rig.db.pool)) >= readings, { timeoutMs: 60_000, what: `all ${readings} readings stored` });
  await waitFor(async () => (await allEvents(rig.db.pool)).length >= expected.length, {
    timeoutMs: 60_000,
    what: `${expected.length} alarm events`,
  });
  await waitFor(async () => rig.ingest.pending() === 0 && (await pendingEvaluateJobs(rig.redis, rig.prefix, PARTITIONS)) <= PARTITIONS, {
    timeoutMs: 30_000,
    what: 'queues drained',
  });
  const catchUpMs = Date.now() - publishedAt;
  await new Promise((r) => setTimeout(r, 1_000));

  // Nothing the broker acknowledged to a device is lost, nothing is stored twice.
  expect(await countReadings(rig.db.pool)).toBe(readings);
  const events = await allEvents(rig.db.pool);
  // Exactly the expected transitions, none lost, none twice, in order per source.
  for (let i = 0; i < SOURCES; i++) {
    const subject = `point:${rig.points[i]}`;
    expect(brief(events.filter((e) => e.subject === subject))).toEqual(expectedEvents(subject, acked[i] ?? []));
  }
  expect(events.length).toBe(expected.length);
  // Every stored event reached the delivery queue once (job id ae-<seq>).
  expect(await alarmEventJobs(rig)).toBe(events.length);
  expect(await failedEvaluateJobs(rig.redis, rig.prefix, PARTITIONS)).toEqual([]);
  // Both services carried on by themselves: the worker process never exited, ingest is running.
  expect(rig.worker.proc.exitCode).toBeNull();
  expect(rig.ingest.state()).toBe('running');
  // No reading of a rule was skipped as late (the precondition of the exact expectation above).
  expect(rig.workerLog.filter((l) => l.includes('late reading'))).toEqual([]);
  return { events: events.length, readings, catchUpMs, lockLost: rig.workerLog.filter((l) => l.includes('job lock lost')).length };
}

describe('rules worker and ingest through a Redis outage under load', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('Redis SIGKILLed mid-stream and restarted on the same AOF: no transition lost or doubled, order kept, both recover', async () => {
    const redis = await startOwnRedis();
    cleanups.push(() => redis.dispose());
    const rig = await startRig(redis.url);
    cleanups.push(() => rig.dispose());
    // Back within the job lock (10 s): the interrupted jobs finish where they were.
    const r = await runThroughOutage(rig, { begin: () => redis.kill(), end: () => redis.restart() }, { durationMs: 14_000, outageAt: 4_000, outageMs: 4_000 });
    process.stdout.write(`redis SIGKILL + restart after 4 s: ${JSON.stringify(r)}\n`);
  }, 180_000);

  it('the network to Redis cut for longer than the job lock and restored: the same guarantees', async () => {
    const redis = await startOwnRedis();
    cleanups.push(() => redis.dispose());
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
    cleanups.push(() => proxy.close());
    const rig = await startRig(`redis://127.0.0.1:${proxy.port}`);
    cleanups.push(() => rig.dispose());
    // Longer than the job lock (10 s): Redis lets the locks expire, the worker's state write is
    // fenced off, the jobs run again from the queue and find their transitions stored.
    const r = await runThroughOutage(rig, { begin: () => proxy.cut(), end: () => proxy.restore() }, { durationMs: 20_000, outageAt: 4_000, outageMs: 12_000 });
    process.stdout.write(`network to redis cut for 12 s: ${JSON.stringify(r)}\n`);
  }, 180_000);
});
