/**
 * `npm run bench -- dispatch [options]`.
 *
 * (a) End to end: a crossing reading's MQTT publish → webhook arrival at local receivers.
 *     Own Mosquitto (deploy/mosquitto/queue-limits.conf, the production broker; not the
 *     standalone's in-process aedes), ingest, rules-worker and dispatch each as their own
 *     process, as production runs them. Background: the ingest suite's dense load generator
 *     (tests/bench/ingest/publisher.ts, 8 channels per message, 10,000 devices) at
 *     `--background-rate` messages/s, with `--background-rules` never-crossing threshold rules
 *     on its points. Probe: `--probe-points` gas detectors of their own enterprise, each with a
 *     threshold rule; crossing readings (80 %LEL, then 0) are published open loop at
 *     `--crossing-rate`/s, each message stamped with its publish time (ts = Date.now() at the
 *     publish). Every crossing is a raise or a clear and goes to `--targets` receivers (real HTTP
 *     servers on free ports that verify the signature). Latency = arrival − the body's
 *     `occurredAt` (the reading's ts = its publish time), one clock. Stage timestamps of every
 *     delivered event come from PostgreSQL and the kept BullMQ jobs after the window.
 * (b) Saturation: dispatch alone against a backlog: `--sat-events` alarm events committed
 *     through the alarm store and published (alarm-events jobs) before dispatch starts, each
 *     matching `--sat-targets` targets; deliveries/s from dispatch's start to the last arrival.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RuleDocumentInput, SiteFile } from '@hazardwatch/contracts';
import { topicFor } from '@hazardwatch/contracts';
import { applySiteFile, createRule, createSecretBox, type Pool } from '@hazardwatch/db';
import { createRedis, partitionOf, QueueNames, sourceKey } from '@hazardwatch/queue';
import { buildLoadSite, LOAD_SITE_IDS } from '@hazardwatch/simulators';
import { createTestDatabase, dropRedisPrefix, startMosquitto, testRedisPrefix, testRedisUrl, uniqueToken, waitFor } from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import mqtt from 'mqtt';
import { addEnterprise, addTarget, Producer, type Receiver, secretOf, startReceiver, transition } from '../dispatch/support.js';
import { type ServiceProcess, spawnService } from '../support/ingest-process.js';
import { awaitCpuProfile, cpuProfilePath, type ProfileSummary } from './lib/cpu-profile.js';
import { createBackgroundRules } from './suites-support/background-rules.js';
import { CpuWindow, fmt, hostInfo, INGEST_DEFAULTS, int, type LatencyStats, latencyStats, load1, ROOT, table, writeResults } from './suites-support/common.js';

export interface DispatchBenchOptions {
  e2e: boolean;
  saturation: boolean;
  /** Background dense messages/s (8 readings each); 0 = none. */
  backgroundRate: number;
  backgroundDevices: number;
  backgroundRules: number;
  probePoints: number;
  /** Crossing readings published per second (open loop, over all probe points). */
  crossingRate: number;
  crossings: number;
  /** Receivers every probe event goes to. */
  targets: number;
  warmupS: number;
  ingestConnections: number;
  /** INGEST_BATCH_MAX_WAIT_MS for the ingest process; undefined = ingest's default. */
  batchWaitMs: number | undefined;
  /** DISPATCH_* variables for the dispatch process, e.g. DISPATCH_DELIVERY_CONCURRENCY=128. */
  dispatchEnv: Record<string, string>;
  satEvents: number;
  satAlarms: number;
  satTargets: number;
  /** Saturation: a V8 CPU profile of the dispatch process (start-up and drain) into this folder, summarised. */
  cpuProfileDir: string | undefined;
  out: string | undefined;
  label: string | undefined;
}

export const DISPATCH_BENCH_DEFAULTS: DispatchBenchOptions = {
  e2e: true,
  saturation: true,
  // Half of the dense maximum in docs/benchmarks.md "Ingest" (7,684 msg/s = 61,472 readings/s on defaults): 3,840 msg/s.
  backgroundRate: 3840,
  backgroundDevices: 10_000,
  backgroundRules: 1000,
  probePoints: 10,
  crossingRate: 5,
  crossings: 400,
  targets: 2,
  warmupS: 15,
  ingestConnections: INGEST_DEFAULTS.connections,
  batchWaitMs: undefined,
  dispatchEnv: {},
  satEvents: 2000,
  satAlarms: 500,
  satTargets: 4,
  cpuProfileDir: undefined,
  out: undefined,
  label: undefined,
};

export const DISPATCH_USAGE = `usage: npm run bench -- dispatch [options]
  --e2e-only | --saturation-only
  --background-rate N      background dense messages/s × 8 channels; 0 = none (default ${DISPATCH_BENCH_DEFAULTS.backgroundRate}: half the dense max)
  --background-devices N   (default ${DISPATCH_BENCH_DEFAULTS.backgroundDevices})
  --background-rules N     never-crossing threshold rules on background points (default ${DISPATCH_BENCH_DEFAULTS.backgroundRules})
  --probe-points N         probe gas detectors, one threshold rule each (default ${DISPATCH_BENCH_DEFAULTS.probePoints})
  --crossing-rate N        crossing readings per second, open loop (default ${DISPATCH_BENCH_DEFAULTS.crossingRate})
  --crossings N            crossing readings measured (raises and clears alternate; default ${DISPATCH_BENCH_DEFAULTS.crossings})
  --targets N              receivers per probe event (default ${DISPATCH_BENCH_DEFAULTS.targets})
  --warmup S               background load before measuring (default ${DISPATCH_BENCH_DEFAULTS.warmupS})
  --ingest-connections N   INGEST_CONNECTIONS (default ${DISPATCH_BENCH_DEFAULTS.ingestConnections})
  --batch-wait-ms MS       INGEST_BATCH_MAX_WAIT_MS (default: ingest's own)
  --dispatch-env K=V[,K=V] DISPATCH_* variables of the dispatch process
  --sat-events N           saturation: events in the backlog (default ${DISPATCH_BENCH_DEFAULTS.satEvents})
  --sat-alarms N           saturation: alarms the events spread over (raise/clear alternate; default ${DISPATCH_BENCH_DEFAULTS.satAlarms})
  --sat-targets N          saturation: targets every event matches (default ${DISPATCH_BENCH_DEFAULTS.satTargets})
  --cpu-prof DIR           saturation: CPU profile of the dispatch process into DIR, summarised in the results
  --out FILE  --label TEXT
`;

const PROBE = { enterpriseId: 'hw-bench-probe', hazardSourceId: 'hs-bench-probe', channel: 'lel' };
const probeDevice = (i: number) => `probe-gd-${i}`;
/** Scopes of the receivers, in order: every one matches the probe enterprise (region 370321). */
const SCOPES = [{ enterpriseId: PROBE.enterpriseId }, { regionPrefix: '370321' }, { regionPrefix: '3703' }, { regionPrefix: '37' }] as const;
const scopeOf = (i: number) => SCOPES[i % SCOPES.length] ?? { regionPrefix: '37' };

function probeSite(points: number): SiteFile {
  return {
    version: 1,
    enterprise: { id: PROBE.enterpriseId, name: 'hazardwatch dispatch bench probe', regionCode: '370321' },
    hazardSources: [{ id: PROBE.hazardSourceId, name: 'bench probe unit', kind: 'process_unit', chemicals: [], peopleWithin500m: 0 }],
    devices: Array.from({ length: points }, (_, i) => ({
      id: probeDevice(i),
      hazardSourceId: PROBE.hazardSourceId,
      points: [{ channel: PROBE.channel, kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100, expectedIntervalS: 1 }],
    })),
    vehicles: [],
    geofences: [],
  } as SiteFile;
}

/** One delivered probe event, with the time of each stage (ms since the epoch; null where the record was gone). */
interface StageRow {
  eventId: string;
  type: string;
  publishedAt: number;
  arrivedAt: number;
  /** When the bench's poll (every 20 ms) first saw the probe reading stored: an upper bound of ingest's commit. */
  readingSeen: number | null;
  /** alarm_events.recorded_at: now() of the rules-worker's transaction (its start). */
  eventTx: number | null;
  /** The alarm-events job added by the worker (after the commit). */
  eventJobAdded: number | null;
  eventJobStarted: number | null;
  /** deliveries.created_at: now() of the fan-out transaction. */
  deliveryTx: number | null;
  deliveryJobAdded: number | null;
  deliveryJobStarted: number | null;
  /** delivery_attempts.started_at of the delivered attempt: just before the POST. */
  postStarted: number | null;
  attempts: number;
}

export interface StageStats {
  /** Each stage's share, as latency from the previous stage; `to` names the stage reached. */
  name: string;
  stats: LatencyStats;
}

export interface E2EResult {
  expectedDeliveries: number;
  deliveries: number;
  missing: number;
  repeats: number;
  badSignatures: number;
  latency: { raise: LatencyStats; clear: LatencyStats; all: LatencyStats };
  stages: StageStats[];
  /** Dispatch's own share: from the alarm-events job's addition (the worker's commit and publish done) to the webhook's arrival. */
  eventToWebhook: LatencyStats;
  /** By publish time, 10 s buckets from the window's start: how latency moved during the window. */
  overTime: Array<{ fromS: number; n: number; p50Ms: number; maxMs: number }>;
  /** Sampled every second during the window: evaluation jobs not done (waiting + active + delayed) in the probe's partition and in all others. */
  evaluateBacklog: { probePartition: number; loadPartition: number; samples: Array<{ atS: number; probe: number; others: number }> };
  /** The slowest 5 deliveries with their stage times relative to the publish. */
  slowest: Array<Record<string, number | string | null>>;
  offered: { crossingsPerS: number; achievedCrossingsPerS: number };
  /**
   * Background messages/s acknowledged by the broker to the publisher (on receipt, not after ingest's
   * commit), and readings/s stored over the window (row count at its start and end): stored below
   * 8 × acked means ingest falls behind and the broker's queue grows.
   */
  background: { offeredMsgPerS: number; ackedMsgPerS: number | null; storedReadingsPerS: number; devices: number; rules: number };
  windowS: number;
  cpu: { seconds: number; machineBusyCores: number; cores: Record<string, number | null> };
  loadavgBefore: number;
  loadavgAfter: number;
}

export interface SaturationResult {
  events: number;
  alarms: number;
  targets: number;
  deliveries: number;
  spanS: number;
  deliveriesPerS: number;
  eventsPerS: number;
  /** Arrival after the dispatch process was spawned (its start-up included). */
  latencyFromStart: LatencyStats;
  repeats: number;
  cpu: { seconds: number; machineBusyCores: number; cores: Record<string, number | null> };
  loadavgBefore: number;
  loadavgAfter: number;
  profile?: ProfileSummary;
}

export interface DispatchBenchResult {
  suite: 'dispatch';
  label: string | undefined;
  startedAt: string;
  host: ReturnType<typeof hostInfo>;
  options: DispatchBenchOptions;
  e2e?: E2EResult;
  saturation?: SaturationResult;
  file?: string;
}

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

/** Stage times of the delivered probe events: PostgreSQL rows, and the BullMQ jobs (kept an hour or more). */
async function stageRows(
  pool: Pool,
  redisUrl: string,
  prefix: string,
  arrivals: ReadonlyArray<{ eventId: string; targetId: string; type: string; publishedAt: number; arrivedAt: number; readingSeen: number | null }>,
): Promise<StageRow[]> {
  const ids = [...new Set(arrivals.map((a) => a.eventId))];
  const r = await pool.query<{
    event_id: string;
    seq: string;
    target_id: string;
    delivery_id: string;
    rec: number;
    created: number;
    post: number | null;
    attempts: number;
  }>(
    `SELECT e.id AS event_id, e.seq, d.target_id, d.id AS delivery_id, ${ms('e.recorded_at')} AS rec, ${ms('d.created_at')} AS created,
            (SELECT ${ms('a.started_at')} FROM delivery_attempts a WHERE a.delivery_id = d.id AND a.outcome = 'delivered' ORDER BY a.id LIMIT 1) AS post,
            d.attempts
       FROM alarm_events e JOIN deliveries d ON d.event_id = e.id WHERE e.id = ANY($1::text[])`,
    [ids],
  );
  const byKey = new Map(r.rows.map((x) => [`${x.event_id}|${x.target_id}`, x]));
  const redis = createRedis(redisUrl);
  const events = new Queue(QueueNames.alarmEvents, { connection: redis, prefix });
  const deliveries = new Queue(QueueNames.deliveries, { connection: redis, prefix });
  try {
    const out: StageRow[] = [];
    for (const a of arrivals) {
      const row = byKey.get(`${a.eventId}|${a.targetId}`);
      const ej = row ? await events.getJob(`ae-${row.seq}`) : undefined;
      const dj = row ? await deliveries.getJob(`delivery-${row.delivery_id}`) : undefined;
      out.push({
        eventId: a.eventId,
        type: a.type,
        publishedAt: a.publishedAt,
        arrivedAt: a.arrivedAt,
        readingSeen: a.readingSeen,
        eventTx: row?.rec ?? null,
        eventJobAdded: ej?.timestamp ?? null,
        eventJobStarted: ej?.processedOn ?? null,
        deliveryTx: row?.created ?? null,
        deliveryJobAdded: dj?.timestamp ?? null,
        deliveryJobStarted: dj?.processedOn ?? null,
        postStarted: row?.post ?? null,
        attempts: row?.attempts ?? 0,
      });
    }
    return out;
  } finally {
    await events.close();
    await deliveries.close();
    redis.disconnect();
  }
}

const STAGES: ReadonlyArray<{ name: string; key: keyof StageRow }> = [
  { name: 'publish → reading seen stored (broker, ingest batch + commit; 20 ms poll)', key: 'readingSeen' },
  { name: '→ event transaction (evaluation job queued + picked + rule)', key: 'eventTx' },
  { name: '→ alarm-events job added (event commit + publish)', key: 'eventJobAdded' },
  { name: '→ fan-out started (dispatch picks the job)', key: 'eventJobStarted' },
  { name: '→ fan-out transaction (deliveries created)', key: 'deliveryTx' },
  { name: '→ delivery job added (fan-out commit + enqueue)', key: 'deliveryJobAdded' },
  { name: '→ delivery job started', key: 'deliveryJobStarted' },
  { name: '→ POST started (load, sign)', key: 'postStarted' },
  { name: '→ webhook arrival', key: 'arrivedAt' },
];

function stageStats(rows: readonly StageRow[]): StageStats[] {
  const out: StageStats[] = [];
  let prev: keyof StageRow = 'publishedAt';
  for (const s of STAGES) {
    const from = prev;
    const d = rows.flatMap((r) => {
      const a = r[from];
      const b = r[s.key];
      return typeof a === 'number' && typeof b === 'number' ? [b - a] : [];
    });
    out.push({ name: s.name, stats: latencyStats(d) });
    prev = s.key;
  }
  return out;
}

function relative(r: StageRow): Record<string, number | string | null> {
  const o: Record<string, number | string | null> = { eventId: r.eventId, type: r.type, total: r.arrivedAt - r.publishedAt, attempts: r.attempts };
  for (const s of STAGES) {
    const v = r[s.key];
    o[s.key] = typeof v === 'number' ? Math.round(v - r.publishedAt) : null;
  }
  return o;
}

/** Lines of a child's stdout as JSON objects. */
function jsonLines(proc: ChildProcess, on: (m: Record<string, unknown>) => void): void {
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      try {
        on(JSON.parse(l) as Record<string, unknown>);
      } catch {}
    }
  });
}

async function runE2E(o: DispatchBenchOptions, log: (s: string) => void): Promise<E2EResult> {
  const db = await createTestDatabase({ timescale: 'off' });
  const broker = await startMosquitto();
  const prefix = testRedisPrefix();
  const topicPrefix = `d${uniqueToken()}/`;
  const key = Buffer.alloc(32, 7).toString('base64');
  const box = createSecretBox({ key });
  const procs: ServiceProcess[] = [];
  const receivers: Receiver[] = [];
  let publisher: ChildProcess | undefined;
  const probeClient = await mqtt.connectAsync(broker.url, { clean: true, clientId: `hwbench-dprobe-${uniqueToken()}` });
  try {
    const load = await applySiteFile(
      db.pool,
      buildLoadSite({ devices: o.backgroundDevices, channels: 8, rateHz: Math.max(1e-6, o.backgroundRate / o.backgroundDevices) }),
    );
    const probe = await applySiteFile(db.pool, probeSite(o.probePoints));
    for (let i = 0; i < o.probePoints; i++) {
      const pointId = probe.pointIds[`${probeDevice(i)}.${PROBE.channel}`];
      if (pointId === undefined) throw new Error('probe point not registered');
      await createRule(
        db.pool,
        {
          id: `bench-probe-${i}`,
          version: 1,
          enterpriseId: PROBE.enterpriseId,
          hazardSourceId: PROBE.hazardSourceId,
          name: `bench probe gas ${i}`,
          kind: 'threshold',
          category: 'process',
          pointId,
          deadband: 2,
          levels: [{ name: 'FIRST', colour: 'orange', side: 'high', setpoint: 50 }],
        } satisfies RuleDocumentInput,
        { by: 'bench' },
      );
    }
    await createBackgroundRules(db.pool, load.pointIds, o.backgroundRules, o.backgroundDevices);
    for (let i = 0; i < o.targets; i++) {
      const name = `bench-${i}`;
      const r = await startReceiver(secretOf(name));
      receivers.push(r);
      await addTarget(db.pool, box, name, r, scopeOf(i), { eventTypes: ['raised', 'returned_to_normal'] });
    }

    const common = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
    const ingest = spawnService('services/ingest/src/main.ts', {
      ...common,
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: topicPrefix,
      INGEST_CLIENT_ID: `dbench-${uniqueToken()}`,
      INGEST_CONNECTIONS: String(o.ingestConnections),
      ...(o.batchWaitMs === undefined ? {} : { INGEST_BATCH_MAX_WAIT_MS: String(o.batchWaitMs) }),
    });
    const worker = spawnService('services/rules-worker/src/main.ts', common);
    const dispatch = spawnService('services/dispatch/src/main.ts', { ...common, DISPATCH_SECRET_KEY: key, ...o.dispatchEnv });
    procs.push(ingest, worker, dispatch);
    for (const [p, line, what] of [
      [ingest, 'ingest running', 'ingest'],
      [worker, 'rules worker running', 'rules worker'],
      [dispatch, 'dispatch running', 'dispatch'],
    ] as const) {
      await waitFor(() => p.output().includes(line) || p.proc.exitCode !== null, { what: `${what} up`, timeoutMs: 60_000 });
      if (p.proc.exitCode !== null) throw new Error(`${what} exited: ${p.output()}`);
    }

    const arrivalsOf = () => receivers.flatMap((r, i) => r.accepted.map((x) => ({ r: x, targetId: `bench-${i}` })));
    const published = new Map<string, number>();
    const lastTs = new Array<number>(o.probePoints).fill(0);
    const level = new Array<number>(o.probePoints).fill(0);
    let n = 0;
    const publishCrossing = () => {
      const i = n % o.probePoints;
      const at = Date.now();
      const ts = Math.max(at, (lastTs[i] ?? 0) + 1);
      lastTs[i] = ts;
      const value = level[i] === 0 ? 80 : 0;
      level[i] = value;
      published.set(`${i}:${ts}`, at);
      n++;
      probeClient.publish(topicFor(PROBE.enterpriseId, probeDevice(i), 'telemetry', topicPrefix), JSON.stringify({ ts, values: { [PROBE.channel]: value } }), {
        qos: 1,
      });
    };
    // Warm: one raise and one clear per probe point through the whole path before the load starts.
    for (let k = 0; k < 2 * o.probePoints; k++) {
      publishCrossing();
      await new Promise((r) => setTimeout(r, 20));
    }
    const warm = 2 * o.probePoints * o.targets;
    await waitFor(() => arrivalsOf().length >= warm, { what: 'warm-up deliveries', timeoutMs: 60_000 });
    const warmIds = new Set(arrivalsOf().map((a) => a.r.key));

    if (o.backgroundRate > 0) {
      publisher = spawn(
        process.execPath,
        [
          '--conditions=hazardwatch-source',
          '--import',
          'tsx',
          join(ROOT, 'tests/bench/ingest/publisher.ts'),
          '--url',
          broker.url,
          '--topic-prefix',
          topicPrefix,
          '--devices',
          String(o.backgroundDevices),
          '--channels',
          '8',
          '--rate',
          String(o.backgroundRate),
          // Timestamps near now, so the rules worker and the offline check see current data.
          '--start-ms',
          String(Date.now() - 5000),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
    }
    let pubLast: { elapsedMs: number; acked: number } | undefined;
    if (publisher)
      jsonLines(publisher, (m) => {
        if (m.event === 'progress' || m.event === 'done') pubLast = m as unknown as { elapsedMs: number; acked: number };
      });
    log(`warm-up: ${o.warmupS} s of background load`);
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));

    const loadavgBefore = load1();
    const cpu = new CpuWindow({
      ingest: ingest.proc.pid,
      'rules-worker': worker.proc.pid,
      dispatch: dispatch.proc.pid,
      publisher: publisher?.pid,
      bench: process.pid,
    });
    const pubStart = pubLast ? { ...pubLast } : undefined;
    const countRows = async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]?.n ?? 0);
    const rowsAtStart = await countRows();
    const windowStart = Date.now();
    // When each probe reading is first seen stored (ingest commits before it acknowledges), and the evaluation backlog per second.
    const probePointIds = Array.from({ length: o.probePoints }, (_, i) => probe.pointIds[`${probeDevice(i)}.${PROBE.channel}`] ?? -1);
    const pointIndex = new Map(probePointIds.map((id, i) => [id, i]));
    const readingSeen = new Map<string, number>();
    let polling = true;
    const pollReadings = (async () => {
      let after = windowStart - 1000;
      while (polling) {
        const r = await db.pool.query<{ point_id: number; t: number }>(
          `SELECT point_id, (extract(epoch FROM time) * 1000)::float8 AS t FROM readings WHERE point_id = ANY($1::int[]) AND time > to_timestamp($2 / 1000.0) ORDER BY time`,
          [probePointIds, after],
        );
        const at = Date.now();
        for (const x of r.rows) {
          const key = `${pointIndex.get(x.point_id)}:${Math.round(x.t)}`;
          if (!readingSeen.has(key)) readingSeen.set(key, at);
          after = Math.max(after, Math.round(x.t) - 1);
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const partitions = 16;
    const probePartition = partitionOf(sourceKey(PROBE.hazardSourceId), partitions);
    const loadPartition = partitionOf(sourceKey(LOAD_SITE_IDS.hazardSourceId), partitions);
    const backlogRedis = createRedis(testRedisUrl());
    const evalQueues = Array.from({ length: partitions }, (_, p) => new Queue(QueueNames.evaluate(p), { connection: backlogRedis, prefix }));
    const backlog: Array<{ atS: number; probe: number; others: number }> = [];
    const sampleBacklog = setInterval(() => {
      const atS = Math.round((Date.now() - windowStart) / 100) / 10;
      Promise.all(evalQueues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'wait'))).then(
        (counts) => {
          const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
          backlog.push({ atS, probe: sum(counts[probePartition] ?? {}), others: counts.reduce((a, c, p) => (p === probePartition ? a : a + sum(c)), 0) });
        },
        () => undefined,
      );
    }, 1000);
    const t0 = performance.now();
    for (let k = 0; k < o.crossings; k++) {
      publishCrossing();
      const ahead = t0 + ((k + 1) * 1000) / o.crossingRate - performance.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
    const windowEnd = Date.now();
    const storedReadingsPerS = Math.round(((await countRows()) - rowsAtStart) / ((Date.now() - windowStart) / 1000));
    const achieved = o.crossings / ((windowEnd - windowStart) / 1000);
    const expected = warm + o.crossings * o.targets;
    await waitFor(() => arrivalsOf().length >= expected, { what: `${expected} deliveries`, timeoutMs: 30_000 }).catch(() => undefined);
    const cpuUse = cpu.end();
    const loadavgAfter = load1();
    const pubEnd = pubLast ? { ...pubLast } : undefined;
    publisher?.kill('SIGTERM');
    clearInterval(sampleBacklog);
    polling = false;
    await pollReadings;
    await Promise.all(evalQueues.map((q) => q.close()));
    backlogRedis.disconnect();
    log(`window: ${((windowEnd - windowStart) / 1000).toFixed(1)} s; collecting stage times`);

    const measured = arrivalsOf().filter((a) => !warmIds.has(a.r.key));
    const arrivals = measured.map((a) => {
      const body = a.r.body;
      const subjectPoint = body?.alarm.ruleId?.replace('bench-probe-', '') ?? '';
      const ts = body ? Date.parse(body.occurredAt) : Number.NaN;
      return {
        eventId: a.r.key,
        targetId: a.targetId,
        type: body?.type ?? '?',
        publishedAt: published.get(`${subjectPoint}:${ts}`) ?? ts,
        arrivedAt: a.r.at,
        readingSeen: readingSeen.get(`${subjectPoint}:${ts}`) ?? null,
      };
    });
    // The receivers saw every request; dispatch records each attempt just after the answer: let those commits land.
    await waitFor(
      async () =>
        Number(
          (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND enterprise_id = $1`, [PROBE.enterpriseId]))
            .rows[0]?.n,
        ) === 0,
      { what: 'attempts recorded', timeoutMs: 10_000 },
    ).catch(() => undefined);
    const rows = await stageRows(db.pool, testRedisUrl(), prefix, arrivals);
    const lat = (t: string | null) => latencyStats(arrivals.filter((a) => t === null || a.type === t).map((a) => a.arrivedAt - a.publishedAt));
    const windowS = (windowEnd - windowStart) / 1000;
    return {
      expectedDeliveries: o.crossings * o.targets,
      deliveries: arrivals.length,
      missing: Math.max(0, o.crossings * o.targets - arrivals.length),
      repeats: receivers.reduce((s, r) => s + r.duplicates().length, 0),
      badSignatures: receivers.reduce((s, r) => s + r.requests.filter((x) => !x.signatureOk).length, 0),
      latency: { raise: lat('raised'), clear: lat('returned_to_normal'), all: lat(null) },
      stages: stageStats(rows),
      eventToWebhook: latencyStats(rows.flatMap((x) => (x.eventJobAdded === null ? [] : [x.arrivedAt - x.eventJobAdded]))),
      overTime: Array.from({ length: Math.ceil(windowS / 10) }, (_, b) => {
        const inBucket = arrivals.filter((a) => a.publishedAt - windowStart >= b * 10_000 && a.publishedAt - windowStart < (b + 1) * 10_000);
        const st = latencyStats(inBucket.map((a) => a.arrivedAt - a.publishedAt));
        return { fromS: b * 10, n: st.n, p50Ms: st.p50Ms, maxMs: st.maxMs };
      }),
      evaluateBacklog: { probePartition, loadPartition, samples: backlog },
      slowest: [...rows]
        .sort((a, b) => b.arrivedAt - b.publishedAt - (a.arrivedAt - a.publishedAt))
        .slice(0, 5)
        .map(relative),
      offered: { crossingsPerS: o.crossingRate, achievedCrossingsPerS: Math.round(achieved * 100) / 100 },
      background: {
        offeredMsgPerS: o.backgroundRate,
        ackedMsgPerS:
          pubStart && pubEnd && pubEnd.elapsedMs > pubStart.elapsedMs
            ? Math.round(((pubEnd.acked - pubStart.acked) * 1000) / (pubEnd.elapsedMs - pubStart.elapsedMs))
            : null,
        storedReadingsPerS,
        devices: o.backgroundDevices,
        rules: Math.min(o.backgroundRules, o.backgroundDevices),
      },
      windowS: Math.round(windowS * 10) / 10,
      cpu: cpuUse,
      loadavgBefore,
      loadavgAfter,
    };
  } finally {
    publisher?.kill('SIGTERM');
    await probeClient.endAsync().catch(() => undefined);
    for (const p of procs) await p.kill('SIGTERM').catch(() => undefined);
    for (const r of receivers) await r.close().catch(() => undefined);
    await dropRedisPrefix(prefix).catch(() => undefined);
    await broker.dispose().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
}

async function runSaturation(o: DispatchBenchOptions, log: (s: string) => void): Promise<SaturationResult> {
  const db = await createTestDatabase({ timescale: 'off' });
  const prefix = testRedisPrefix();
  const redis = createRedis(testRedisUrl());
  const key = Buffer.alloc(32, 5).toString('base64');
  const box = createSecretBox({ key });
  const producer = new Producer(db.pool, redis, prefix);
  const receivers: Receiver[] = [];
  let proc: ServiceProcess | undefined;
  try {
    await addEnterprise(db.pool, 'ent-bench', '370321');
    const scopes = [{ enterpriseId: 'ent-bench' }, { regionPrefix: '370321' }, { regionPrefix: '3703' }, { regionPrefix: '37' }];
    for (let i = 0; i < o.satTargets; i++) {
      const name = `sat-${i}`;
      const r = await startReceiver(secretOf(name));
      receivers.push(r);
      await addTarget(db.pool, box, name, r, scopes[i % scopes.length] ?? { regionPrefix: '37' }, { eventTypes: ['raised', 'returned_to_normal'] });
    }
    log(`saturation: committing and publishing ${o.satEvents} events before dispatch starts`);
    for (let i = 0; i < o.satEvents; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(o.satEvents, i + 50); j++) {
        const a = j % o.satAlarms;
        const round = Math.floor(j / o.satAlarms);
        batch.push(transition(`s-${a}-${round}`, 'ent-bench', `point:${a}`, round % 2 === 0 ? 'raise' : 'clear', 'red'));
      }
      // One alarm's transitions must commit in order: a batch never holds two of the same alarm while satAlarms ≥ 50.
      await producer.send(batch);
    }
    const loadavgBefore = load1();
    const startedAt = Date.now();
    const profileFile = o.cpuProfileDir ? cpuProfilePath(o.cpuProfileDir, `dispatch-saturation-${Date.now()}.cpuprofile`) : undefined;
    proc = spawnService(profileFile ? 'tests/bench/dispatch-main.ts' : 'services/dispatch/src/main.ts', {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      DISPATCH_SECRET_KEY: key,
      LOG_LEVEL: 'info',
      ...(profileFile ? { BENCH_CPU_PROFILE: profileFile } : {}),
      ...o.dispatchEnv,
    });
    const cpu = new CpuWindow({ dispatch: proc.proc.pid, bench: process.pid });
    const expected = o.satEvents * o.satTargets;
    const total = () => receivers.reduce((s, r) => s + r.accepted.length, 0);
    await waitFor(() => total() >= expected || proc?.proc.exitCode !== null, { what: `${expected} deliveries`, timeoutMs: 600_000 });
    if (proc.proc.exitCode !== null) throw new Error(`dispatch exited: ${proc.output()}`);
    const cpuUse = cpu.end();
    const loadavgAfter = load1();
    const arrivals = receivers.flatMap((r) => r.accepted.map((x) => x.at));
    const first = Math.min(...arrivals);
    const last = Math.max(...arrivals);
    // From the first delivery to the last: the drain rate once dispatch is up (process start-up excluded).
    const spanS = (last - first) / 1000;
    let profile: ProfileSummary | undefined;
    if (profileFile) {
      // Start-up and the whole drain; stopped once the last delivery arrived.
      proc.proc.kill('SIGUSR2');
      profile = await awaitCpuProfile(profileFile, 'CPU profile written', 30_000);
    }
    return {
      ...(profile ? { profile } : {}),
      events: o.satEvents,
      alarms: o.satAlarms,
      targets: o.satTargets,
      deliveries: arrivals.length,
      spanS: Math.round(spanS * 10) / 10,
      deliveriesPerS: Math.round(arrivals.length / spanS),
      eventsPerS: Math.round(o.satEvents / spanS),
      latencyFromStart: latencyStats(arrivals.map((a) => a - startedAt)),
      repeats: receivers.reduce((s, r) => s + r.duplicates().length, 0),
      cpu: cpuUse,
      loadavgBefore,
      loadavgAfter,
    };
  } finally {
    await proc?.kill('SIGTERM');
    await producer.close();
    for (const r of receivers) await r.close();
    redis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  }
}

export function formatDispatchResult(r: DispatchBenchResult): string {
  const parts: string[] = [`dispatch bench — ${r.host.cpus} × ${r.host.cpuModel}, node ${r.host.node}${r.label ? ` — ${r.label}` : ''}`];
  const e = r.e2e;
  if (e) {
    const row = (name: string, s: LatencyStats) => [name, String(s.n), fmt(s.p50Ms), fmt(s.p90Ms), fmt(s.p99Ms), fmt(s.maxMs)];
    parts.push(
      `\n(a) end to end: MQTT publish of a crossing reading → webhook arrival; ${e.deliveries}/${e.expectedDeliveries} deliveries (${e.missing} missing, ${e.repeats} repeats, ${e.badSignatures} bad signatures) over ${e.windowS} s; target p99 ≤ 200 ms`,
      `crossings ${e.offered.crossingsPerS}/s offered (${e.offered.achievedCrossingsPerS}/s achieved) on ${r.options.probePoints} probe points, ${r.options.targets} targets each`,
      `background: ${int(e.background.offeredMsgPerS)} msg/s × 8 offered (broker acknowledged ${e.background.ackedMsgPerS === null ? '-' : `${int(e.background.ackedMsgPerS)} msg/s = ${int(e.background.ackedMsgPerS * 8)} readings/s`}; stored ${int(e.background.storedReadingsPerS)} readings/s), ${e.background.devices} devices, ${e.background.rules} rules`,
      table(['latency (ms)', 'n', 'p50', 'p90', 'p99', 'max'], [row('raise', e.latency.raise), row('clear', e.latency.clear), row('all', e.latency.all)]),
      `dispatch's share, alarm-events job added → webhook arrival: ${row('', e.eventToWebhook).slice(1).join(' / ')} (n / p50 / p90 / p99 / max ms)`,
      '\nstages (each from the previous one):',
      table(
        ['stage', 'n', 'p50', 'p90', 'p99', 'max'],
        e.stages.map((s) => row(s.name, s.stats)),
      ),
      `latency by publish time (10 s buckets: n p50/max ms): ${e.overTime.map((b) => `${b.fromS}s ${b.n} ${fmt(b.p50Ms, 0)}/${fmt(b.maxMs, 0)}`).join(', ')}`,
      `evaluation jobs not done, probe partition ${e.evaluateBacklog.probePartition} / others (load partition ${e.evaluateBacklog.loadPartition}), every 10th second: ${e.evaluateBacklog.samples
        .filter((_, i) => i % 10 === 0)
        .map((x) => `${x.atS}s ${x.probe}/${x.others}`)
        .join(', ')}`,
      `slowest: ${e.slowest.map((s) => JSON.stringify(s)).join('\n         ')}`,
      `CPU over the window (cores): ${Object.entries(e.cpu.cores)
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')}; machine busy ${fmt(e.cpu.machineBusyCores, 2)} of ${r.host.cpus}; load average ${e.loadavgBefore} → ${e.loadavgAfter}`,
    );
  }
  const s = r.saturation;
  if (s) {
    parts.push(
      `\n(b) saturation: backlog of ${s.events} events (${s.alarms} alarms) × ${s.targets} targets = ${s.deliveries} deliveries in ${s.spanS} s: ${int(s.deliveriesPerS)} deliveries/s (${int(s.eventsPerS)} events/s); repeats ${s.repeats}`,
      `arrival after the dispatch process was spawned: p50 ${fmt(s.latencyFromStart.p50Ms, 0)} ms, max ${fmt(s.latencyFromStart.maxMs, 0)} ms; CPU (cores): ${Object.entries(
        s.cpu.cores,
      )
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')}; machine busy ${fmt(s.cpu.machineBusyCores, 2)}; load average ${s.loadavgBefore} → ${s.loadavgAfter}`,
    );
  }
  if (s?.profile) {
    parts.push(`\ndispatch CPU profile (busy ${fmt(s.profile.busyMs, 0)} of ${fmt(s.profile.wallMs, 0)} ms): self time by area, % of busy`);
    for (const a of s.profile.byArea.slice(0, 15)) parts.push(`  ${a.pctOfBusy.toFixed(1).padStart(5)} %  ${a.name}`);
  }
  if (r.file) parts.push(`\nresults: ${r.file}`);
  return `${parts.join('\n')}\n`;
}

export function parseDispatchArgs(argv: string[]): Partial<DispatchBenchOptions> | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      'e2e-only': { type: 'boolean' },
      'saturation-only': { type: 'boolean' },
      'background-rate': { type: 'string' },
      'background-devices': { type: 'string' },
      'background-rules': { type: 'string' },
      'probe-points': { type: 'string' },
      'crossing-rate': { type: 'string' },
      crossings: { type: 'string' },
      targets: { type: 'string' },
      warmup: { type: 'string' },
      'ingest-connections': { type: 'string' },
      'batch-wait-ms': { type: 'string' },
      'dispatch-env': { type: 'string' },
      'sat-events': { type: 'string' },
      'sat-alarms': { type: 'string' },
      'sat-targets': { type: 'string' },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (v.help) return 'help';
  const num = (s: string | undefined, flag: string, min = 0): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag}: '${s}' is not a number ≥ ${min}`);
    return n;
  };
  const o: Partial<DispatchBenchOptions> = {};
  if (v['e2e-only']) o.saturation = false;
  if (v['saturation-only']) o.e2e = false;
  const set = <K extends keyof DispatchBenchOptions>(k: K, x: DispatchBenchOptions[K] | undefined) => {
    if (x !== undefined) o[k] = x;
  };
  set('backgroundRate', num(v['background-rate'], 'background-rate'));
  set('backgroundDevices', num(v['background-devices'], 'background-devices', 1));
  set('backgroundRules', num(v['background-rules'], 'background-rules'));
  set('probePoints', num(v['probe-points'], 'probe-points', 1));
  set('crossingRate', num(v['crossing-rate'], 'crossing-rate', 0.01));
  set('crossings', num(v.crossings, 'crossings', 1));
  set('targets', num(v.targets, 'targets', 1));
  set('warmupS', num(v.warmup, 'warmup'));
  set('ingestConnections', num(v['ingest-connections'], 'ingest-connections', 1));
  set('batchWaitMs', num(v['batch-wait-ms'], 'batch-wait-ms'));
  set('satEvents', num(v['sat-events'], 'sat-events', 1));
  set('satAlarms', num(v['sat-alarms'], 'sat-alarms', 50));
  set('satTargets', num(v['sat-targets'], 'sat-targets', 1));
  if (v['dispatch-env'] !== undefined) {
    const env: Record<string, string> = {};
    for (const pair of v['dispatch-env'].split(',')) {
      const m = /^(DISPATCH_[A-Z_]+)=(.*)$/.exec(pair.trim());
      if (!m?.[1] || m[2] === undefined) throw new Error(`--dispatch-env: '${pair}' is not DISPATCH_NAME=value`);
      env[m[1]] = m[2];
    }
    o.dispatchEnv = env;
  }
  set('cpuProfileDir', v['cpu-prof']);
  set('out', v.out);
  set('label', v.label);
  return o;
}

export async function runDispatchBench(opts: Partial<DispatchBenchOptions> = {}): Promise<DispatchBenchResult> {
  const o: DispatchBenchOptions = { ...DISPATCH_BENCH_DEFAULTS, ...opts };
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const result: DispatchBenchResult = { suite: 'dispatch', label: o.label, startedAt: new Date().toISOString(), host: hostInfo(), options: o };
  if (o.e2e) result.e2e = await runE2E(o, log);
  if (o.saturation) result.saturation = await runSaturation(o, log);
  result.file = await writeResults('dispatch', result, o.out);
  process.stdout.write(formatDispatchResult(result));
  return result;
}

/** Entry for tests/bench/run.ts (argv after the suite name): resolves with the exit code (1 when deliveries are missing). */
export async function dispatchSuiteMain(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseDispatchArgs>;
  try {
    o = parseDispatchArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${DISPATCH_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(DISPATCH_USAGE);
    return 0;
  }
  const r = await runDispatchBench(o);
  return r.e2e && r.e2e.missing > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await dispatchSuiteMain(process.argv.slice(2));
