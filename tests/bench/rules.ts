/**
 * `npm run bench -- rules` (once registered in tests/bench/run.ts SUITES as
 * `rules: rulesSuiteMain`), or directly:
 * `node --conditions=hazardwatch-source --import tsx tests/bench/rules.ts [options]`.
 *
 * (a) Engine: `benchEngine()` of @hazardwatch/rules on this thread (one core): evaluations/s
 *     for threshold and interlock rules, state carried from call to call, no I/O.
 * (b) Pipeline: a probe gas detector crosses its threshold `crossings` times (and returns
 *     below it in between) through the real path: MQTT publish (QoS 1) → own Mosquitto →
 *     ingest process → PostgreSQL + evaluation queue (Redis) → rules-worker process →
 *     alarm_events committed → published on the live channel. Meanwhile a background dense load
 *     (8 channels per message, generated load site) is published at `--background-rate`
 *     messages/s by its own process, with `--background-rules` threshold rules on load points
 *     that never cross, so the worker evaluates the background readings too.
 *
 *     One crossing at a time (the next is published after the previous event arrived and
 *     `--gap-ms` passed). Latency of crossing i, measured two ways on one clock (same machine):
 *       - to commit: alarm_events.recorded_at (now() of the worker's transaction: its start,
 *         so a lower bound of the commit) − the wall-clock time just before the publish;
 *       - to live: arrival of the event on the Redis live channel (`<prefix>:live`, published by
 *         the worker after the commit) in this process − the same publish time: an upper bound
 *         of the commit, including one Redis pub/sub hop.
 *     Raises (value 80 > setpoint 50) and clears (value 0, below setpoint − deadband) are
 *     both transitions; the summary gives raises, clears and both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AlarmEvent, RuleDocumentInput, SiteFile } from '@hazardwatch/contracts';
import { topicFor } from '@hazardwatch/contracts';
import { applySiteFile, createRule, type Pool } from '@hazardwatch/db';
import { createRedis, liveChannel, partitionOf, sourceKey } from '@hazardwatch/queue';
import { benchEngine } from '@hazardwatch/rules';
import { buildLoadSite, LOAD_SITE_IDS } from '@hazardwatch/simulators';
import { createTestDatabase, dropRedisPrefix, startMosquitto, testRedisPrefix, testRedisUrl, uniqueToken, waitFor } from '@hazardwatch/testkit';
import mqtt from 'mqtt';
import { pendingEvaluateJobs } from '../rules-worker/support.js';
import { type ServiceProcess, spawnService } from '../support/ingest-process.js';
import { awaitCpuProfile, cpuProfilePath, type ProfileSummary } from './lib/cpu-profile.js';
import { CpuSampler, cpuBetween } from './lib/cpu-sampler.js';
import { allProcesses } from './lib/proc.js';
import { createBackgroundRules } from './suites-support/background-rules.js';
import { CpuWindow, fmt, hostInfo, INGEST_DEFAULTS, int, type LatencyStats, latencyStats, load1, ROOT, table, writeResults } from './suites-support/common.js';

export interface RulesSuiteOptions {
  /** Skip (a) or (b). */
  engine: boolean;
  pipeline: boolean;
  /** Time per engine workload (ms). */
  engineMs: number;
  crossings: number;
  /** Background dense load in messages/s (8 readings each); 0 = none. */
  backgroundRate: number;
  backgroundDevices: number;
  backgroundChannels: number;
  /** Threshold rules on background points (never crossing). */
  backgroundRules: number;
  /** `own`: the probe is on its own hazard source (own partition unless hashed together); `load`: on the load site's hazard source, the partition the whole background load goes to. */
  probeSource: 'own' | 'load';
  partitions: number;
  /** Rules-worker processes. */
  workers: number;
  /** Pause after an event arrived before the next publish. */
  gapMs: number;
  /** Background load before the first measured crossing. */
  warmupS: number;
  /** INGEST_BATCH_MAX_WAIT_MS of the ingest process (default: ingest's own). */
  batchWaitMs: number;
  /** INGEST_CONNECTIONS (default: ingest's own). */
  ingestConnections: number;
  /** INGEST_BATCH_MAX_ROWS, or 'fit' (default, as the ingest suite's dense runs; ingest's own default is 5000) = connections × (channels + 1): a batch closes once every connection holds a message. */
  ingestBatchRows: number | 'fit';
  /** A transition not seen within this is a timeout; after `maxTimeouts` of them the run stops (overloaded). */
  timeoutMs: number;
  maxTimeouts: number;
  /** Directory for a V8 CPU profile of the (first) rules-worker process over the measured window. */
  cpuProfileDir: string | undefined;
  out: string | undefined;
  label: string | undefined;
}

export const RULES_DEFAULTS: RulesSuiteOptions = {
  engine: true,
  pipeline: true,
  engineMs: 2000,
  crossings: 200,
  // Half of ~4,600 dense msg/s, the best dense figure in the ingest suite's runs so far (provisional: pass --background-rate once it is final).
  backgroundRate: 2300,
  backgroundDevices: 10_000,
  backgroundChannels: 8,
  backgroundRules: 1000,
  probeSource: 'own',
  partitions: 16,
  workers: 1,
  gapMs: 100,
  warmupS: 15,
  batchWaitMs: INGEST_DEFAULTS.batchMaxWaitMs,
  ingestConnections: INGEST_DEFAULTS.connections,
  ingestBatchRows: 'fit',
  timeoutMs: 5_000,
  maxTimeouts: 3,
  cpuProfileDir: undefined,
  out: undefined,
  label: undefined,
};

export const RULES_USAGE = `usage: node --conditions=hazardwatch-source --import tsx tests/bench/rules.ts [options]
  --engine-only | --pipeline-only
  --engine-ms MS              time per engine workload (default ${RULES_DEFAULTS.engineMs})
  --crossings N               measured threshold crossings (default ${RULES_DEFAULTS.crossings}; each also returns to normal)
  --background-rate N         background dense messages/s, 8 readings each; 0 = none (default ${RULES_DEFAULTS.backgroundRate})
  --background-devices N      (default ${RULES_DEFAULTS.backgroundDevices})
  --background-rules N        never-crossing threshold rules on background points (default ${RULES_DEFAULTS.backgroundRules})
  --probe-source own|load     probe on its own hazard source or on the loaded one (default own)
  --partitions N              EVAL_PARTITIONS (default ${RULES_DEFAULTS.partitions})
  --workers N                 rules-worker processes (default ${RULES_DEFAULTS.workers})
  --gap-ms MS                 pause between crossings (default ${RULES_DEFAULTS.gapMs})
  --warmup S                  background load before measuring (default ${RULES_DEFAULTS.warmupS})
  --batch-wait-ms MS          INGEST_BATCH_MAX_WAIT_MS (default ${RULES_DEFAULTS.batchWaitMs}, ingest's default)
  --ingest-connections N      INGEST_CONNECTIONS (default ${RULES_DEFAULTS.ingestConnections}, ingest's default)
  --ingest-batch-rows N|fit   INGEST_BATCH_MAX_ROWS (default fit = connections × (channels + 1); ingest's own default 5000 caps 128 connections near 1,500 msg/s: each batch waits INGEST_BATCH_MAX_WAIT_MS)
  --timeout-ms MS             a transition slower than this is a timeout (default ${RULES_DEFAULTS.timeoutMs})
  --max-timeouts N            stop after N timeouts: overloaded (default ${RULES_DEFAULTS.maxTimeouts})
  --cpu-prof DIR              V8 CPU profiles of the rules worker and ingest over the measured window into DIR, summarised in the results
  --out FILE  --label TEXT
`;

export interface EngineFigure {
  name: string;
  evaluationsPerSec: number;
  readingsPerSec: number;
  calls: number;
  elapsedMs: number;
}

export interface PipelineResult {
  probe: { hazardSourceId: string; partition: number; loadPartition: number; samePartitionAsLoad: boolean };
  measured: number;
  timeouts: number;
  /** Why the measurement stopped early (overload), or null. */
  aborted: string | null;
  /** Backlog when the window ended: age of the newest stored background reading, evaluation jobs not done. */
  atWindowEnd: { ingestLagMs: number | null; pendingEvaluateJobs: number };
  toCommit: { raise: LatencyStats; clear: LatencyStats; all: LatencyStats };
  toLive: { raise: LatencyStats; clear: LatencyStats; all: LatencyStats };
  /** Every measured transition in publish order: ms from the window's start, then both latencies — shows whether slow ones cluster. */
  series: Array<[atMs: number, toCommitMs: number, toLiveMs: number]>;
  /** Ingest's 'slow batch' warnings (commit + enqueue over 500 ms) during the run, as logged. */
  ingestSlowBatches: string[];
  background: {
    offeredMsgPerS: number;
    /** Publisher's acknowledged messages/s over the measured window. */
    ackedMsgPerS: number | null;
    /** Background readings stored (by their timestamps) per second over the measured window. */
    storedReadingsPerS: number;
    /**
     * Readings written per second during the window (rows in the table at its end minus at its
     * start): ingest's throughput. `storedReadingsPerS` counts only readings published in the
     * window and stored by the count, so when ingest lags it also drops the window's last `lag`
     * seconds and depends on the window's length.
     */
    writtenReadingsPerS: number;
    rules: number;
    devices: number;
    channels: number;
  };
  windowS: number;
  cpu: { seconds: number; machineBusyCores: number; cores: Record<string, number | null> };
  /** Cores per process group over the window (PostgreSQL split by the client its backends serve), sampled every second. */
  cpuSplit: { cores: Record<string, number>; machineCores: number; otherCores: number };
  /** Worker CPU (all worker processes) per 1,000 readings written in the window, ms. */
  workerCpuMsPer1000Readings: number | null;
  profile?: ProfileSummary;
  ingestProfile?: ProfileSummary;
  loadavgBefore: number;
  loadavgAfter: number;
}

export interface RulesSuiteResult {
  suite: 'rules';
  label: string | undefined;
  startedAt: string;
  host: ReturnType<typeof hostInfo>;
  options: RulesSuiteOptions;
  engine?: { figures: EngineFigure[]; loadavgBefore: number; loadavgAfter: number; targetThresholdPerCore: number };
  pipeline?: PipelineResult;
  file?: string;
}

const PROBE = { enterpriseId: 'hw-bench-probe', hazardSourceId: 'hs-bench-probe', deviceId: 'probe-gd-1', channel: 'lel', ruleId: 'bench-probe-gas' };

function probeSite(): SiteFile {
  return {
    version: 1,
    enterprise: { id: PROBE.enterpriseId, name: 'hazardwatch bench probe', regionCode: '370321' },
    hazardSources: [{ id: PROBE.hazardSourceId, name: 'bench probe unit', kind: 'process_unit', chemicals: [], peopleWithin500m: 0 }],
    devices: [
      {
        id: PROBE.deviceId,
        hazardSourceId: PROBE.hazardSourceId,
        points: [{ channel: PROBE.channel, kind: 'combustible_gas', unit: '%LEL', rangeMin: 0, rangeMax: 100, expectedIntervalS: 1 }],
      },
    ],
    vehicles: [],
    geofences: [],
  } as SiteFile;
}

function loadSiteWithProbe(o: RulesSuiteOptions): SiteFile {
  const site = buildLoadSite({ devices: o.backgroundDevices, channels: o.backgroundChannels, rateHz: Math.max(1e-6, o.backgroundRate / o.backgroundDevices) });
  if (o.probeSource === 'load') {
    site.devices.push({
      id: PROBE.deviceId,
      hazardSourceId: LOAD_SITE_IDS.hazardSourceId,
      points: [{ channel: PROBE.channel, kind: 'combustible_gas', unit: '%LEL', rangeMin: 0, rangeMax: 100, expectedIntervalS: 1 }],
    } as SiteFile['devices'][number]);
  }
  return site;
}

/** Process groups whose CPU is measured: our children, Redis, and the PostgreSQL server split by the client its backends serve. */
function groupsOf(
  dbName: string,
  pool: Pool,
  pids: { ingest: number | undefined; workers: Array<number | undefined>; broker: number | undefined; publisher: number | undefined },
) {
  const some = (xs: Array<number | undefined>) => xs.filter((x): x is number => x !== undefined);
  return async (): Promise<Map<string, number[]>> => {
    const act = await pool.query<{ pid: number; datname: string | null; application_name: string; backend_type: string }>(
      'SELECT pid, datname, application_name, backend_type FROM pg_stat_activity',
    );
    const by = { ingest: [] as number[], worker: [] as number[], bench: [] as number[], background: [] as number[], other: [] as number[] };
    for (const a of act.rows) {
      if (a.backend_type === 'client backend' || a.backend_type === 'parallel worker') {
        if (a.datname !== dbName) by.other.push(a.pid);
        else if (a.application_name === 'hazardwatch-ingest') by.ingest.push(a.pid);
        else if (a.application_name === 'hazardwatch-rules-worker') by.worker.push(a.pid);
        else by.bench.push(a.pid);
      } else by.background.push(a.pid);
    }
    // The postmaster is the parent of every backend and is not listed in pg_stat_activity.
    const procs = allProcesses();
    const postmaster = procs.find((p) => p.pid === act.rows[0]?.pid)?.ppid;
    if (postmaster) by.background.push(postmaster);
    return new Map<string, number[]>([
      ['ingest', some([pids.ingest])],
      ['rules-worker', some(pids.workers)],
      ['broker', some([pids.broker])],
      ['publisher', some([pids.publisher])],
      ['postgres (ingest backends)', by.ingest],
      ['postgres (worker backends)', by.worker],
      ['postgres (wal, checkpointer, …)', by.background],
      ['postgres (bench queries)', by.bench],
      ['redis', procs.filter((p) => p.comm === 'redis-server').map((p) => p.pid)],
      ['bench harness', [process.pid]],
      ['postgres (other databases)', by.other],
    ]);
  };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

function runEngine(o: RulesSuiteOptions): NonNullable<RulesSuiteResult['engine']> {
  const loadavgBefore = load1();
  const figures = benchEngine({ minMs: o.engineMs });
  return { figures, loadavgBefore, loadavgAfter: load1(), targetThresholdPerCore: 1_000_000 };
}

async function runPipeline(o: RulesSuiteOptions): Promise<PipelineResult> {
  const db = await createTestDatabase({ timescale: 'off' });
  const broker = await startMosquitto();
  const brokerPid = allProcesses()
    .filter((x) => x.comm === 'mosquitto' && x.ppid === process.pid)
    .map((x) => x.pid)
    .sort((x, y) => y - x)[0];
  const prefix = testRedisPrefix();
  const topicPrefix = `b${uniqueToken()}/`;
  const sub = createRedis(testRedisUrl());
  const procs: ServiceProcess[] = [];
  let publisher: ChildProcess | undefined;
  const probeClient = await mqtt.connectAsync(broker.url, { clean: true, clientId: `hwbench-probe-${uniqueToken()}` });
  try {
    const load = await applySiteFile(db.pool, loadSiteWithProbe(o));
    const own = o.probeSource === 'own' ? await applySiteFile(db.pool, probeSite()) : load;
    const probePoint = own.pointIds[`${PROBE.deviceId}.${PROBE.channel}`];
    if (probePoint === undefined) throw new Error('probe point not registered');
    const probeEnterprise = o.probeSource === 'own' ? PROBE.enterpriseId : LOAD_SITE_IDS.enterpriseId;
    const probeSource = o.probeSource === 'own' ? PROBE.hazardSourceId : LOAD_SITE_IDS.hazardSourceId;
    const probeRule: RuleDocumentInput = {
      id: PROBE.ruleId,
      version: 1,
      enterpriseId: probeEnterprise,
      hazardSourceId: probeSource,
      name: 'bench probe gas',
      kind: 'threshold',
      category: 'process',
      pointId: probePoint,
      deadband: 2,
      levels: [{ name: 'FIRST', colour: 'orange', side: 'high', setpoint: 50 }],
    };
    await createRule(db.pool, probeRule, { by: 'bench' });
    await createBackgroundRules(db.pool, load.pointIds, o.backgroundRules, o.backgroundDevices);

    // Events of the probe rule, as they arrive on the live channel.
    const arrivals = new Map<string, { at: number; event: AlarmEvent }>();
    let waiter: { type: string; ts: number; resolve: (e: { at: number; event: AlarmEvent }) => void } | undefined;
    await sub.subscribe(liveChannel(prefix));
    sub.on('message', (_ch: string, msg: string) => {
      const at = Date.now();
      const event = JSON.parse(msg) as AlarmEvent;
      if (event.ruleId !== PROBE.ruleId) return;
      arrivals.set(event.id, { at, event });
      // The event of the reading just published (its `at` is the reading's time), not a late one of an earlier crossing.
      if (waiter && event.type === waiter.type && event.at === waiter.ts) {
        const w = waiter;
        waiter = undefined;
        w.resolve({ at, event });
      }
    });

    const common = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, EVAL_PARTITIONS: String(o.partitions), LOG_LEVEL: 'info' };
    // Profiled, ingest runs under its bench entry (production main plus a metrics listener and the profiler).
    const ingestProfile = o.cpuProfileDir ? cpuProfilePath(o.cpuProfileDir, `ingest-${Date.now()}.cpuprofile`) : undefined;
    const ingest = spawnService(ingestProfile ? 'tests/bench/ingest/ingest-main.ts' : 'services/ingest/src/main.ts', {
      ...common,
      ...(ingestProfile ? { BENCH_CPU_PROFILE: ingestProfile, BENCH_METRICS_PORT: String(await freePort()) } : {}),
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: topicPrefix,
      INGEST_CLIENT_ID: `bench-${uniqueToken()}`,
      INGEST_BATCH_MAX_WAIT_MS: String(o.batchWaitMs),
      INGEST_CONNECTIONS: String(o.ingestConnections),
      INGEST_BATCH_MAX_ROWS: String(o.ingestBatchRows === 'fit' ? o.ingestConnections * (o.backgroundChannels + 1) : o.ingestBatchRows),
    });
    procs.push(ingest);
    await waitFor(() => ingest.output().includes('ingest running') || ingest.proc.exitCode !== null, { what: 'ingest up', timeoutMs: 60_000 });
    if (ingest.proc.exitCode !== null) throw new Error(`ingest exited: ${ingest.output()}`);
    const profileFile = o.cpuProfileDir ? cpuProfilePath(o.cpuProfileDir, `rules-worker-${Date.now()}.cpuprofile`) : undefined;
    const workers = Array.from({ length: o.workers }, (_, i) =>
      profileFile && i === 0
        ? spawnService('tests/bench/rules-worker-main.ts', { ...common, BENCH_CPU_PROFILE: profileFile })
        : spawnService('services/rules-worker/src/main.ts', common),
    );
    procs.push(...workers);
    for (const w of workers) {
      await waitFor(() => w.output().includes('rules worker running') || w.proc.exitCode !== null, { what: 'rules worker up', timeoutMs: 60_000 });
      if (w.proc.exitCode !== null) throw new Error(`rules worker exited: ${w.output()}`);
    }

    const topic = topicFor(probeEnterprise, PROBE.deviceId, 'telemetry', topicPrefix);
    let seq = 0;
    let lastTs = 0;
    const crossing = async (value: number, type: 'raised' | 'returned_to_normal', timeoutMs: number) => {
      const publishedAt = Date.now();
      const ts = Math.max(publishedAt, lastTs + 1);
      lastTs = ts;
      const got = new Promise<{ at: number; event: AlarmEvent } | null>((resolve) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve(null);
        }, timeoutMs);
        waiter = {
          type,
          ts,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
      });
      await probeClient.publishAsync(topic, JSON.stringify({ ts, seq: seq++, values: { [PROBE.channel]: value } }), { qos: 1 });
      return { publishedAt, arrival: await got };
    };

    // Ingest's shared subscription and the worker's queues are warm once one crossing went through.
    const first = await crossing(80, 'raised', 30_000);
    if (!first.arrival) throw new Error(`the probe's first crossing raised nothing within 30 s\ningest:\n${ingest.output()}\nworker:\n${workers[0]?.output()}`);
    await crossing(0, 'returned_to_normal', 30_000);

    if (o.backgroundRate > 0) {
      publisher = spawn(
        process.execPath,
        [
          '--conditions=hazardwatch-source',
          '--import',
          'tsx',
          join(ROOT, 'tests/bench/suites-support/dense-publisher.ts'),
          '--url',
          broker.url,
          '--topic-prefix',
          topicPrefix,
          '--devices',
          String(o.backgroundDevices),
          '--channels',
          String(o.backgroundChannels),
          '--rate',
          String(o.backgroundRate),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
    }
    let pubLast: { elapsedMs: number; acked: number } | undefined;
    let pubBuf = '';
    publisher?.stdout?.on('data', (b: Buffer) => {
      pubBuf += b.toString();
      const lines = pubBuf.split('\n');
      pubBuf = lines.pop() ?? '';
      for (const l of lines) {
        try {
          const m = JSON.parse(l) as { event: string; elapsedMs: number; acked: number };
          if (m.event === 'progress' || m.event === 'done') pubLast = m;
        } catch {}
      }
    });
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));

    const loadavgBefore = load1();
    const cpu = new CpuWindow({
      ingest: ingest.proc.pid,
      ...Object.fromEntries(workers.map((w, i) => [`rules-worker${o.workers > 1 ? ` ${i}` : ''}`, w.proc.pid])),
      publisher: publisher?.pid,
      bench: process.pid,
    });
    const sampler = new CpuSampler(
      groupsOf(db.name, db.pool, {
        ingest: ingest.proc.pid,
        workers: workers.map((w) => w.proc.pid),
        broker: brokerPid,
        publisher: publisher?.pid,
      }),
    );
    const split0 = await sampler.sample();
    const sampling = setInterval(() => void sampler.sample().catch(() => undefined), 1000);
    if (profileFile) workers[0]?.proc.kill('SIGUSR2');
    if (ingestProfile) ingest.proc.kill('SIGUSR2');
    const pubStart = pubLast ? { ...pubLast } : undefined;
    const countRows = async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]?.n ?? 0);
    const rowsAtStart = await countRows();
    const windowStart = Date.now();
    const samples: Array<{ type: 'raised' | 'returned_to_normal'; publishedAt: number; eventId: string | null; liveAt: number | null }> = [];
    let timeouts = 0;
    let aborted: string | null = null;
    crossings: for (let i = 0; i < o.crossings; i++) {
      for (const [value, type] of [
        [80, 'raised'],
        [0, 'returned_to_normal'],
      ] as const) {
        const r = await crossing(value, type, o.timeoutMs);
        samples.push({ type, publishedAt: r.publishedAt, eventId: r.arrival?.event.id ?? null, liveAt: r.arrival?.at ?? null });
        if (!r.arrival && ++timeouts >= o.maxTimeouts) {
          aborted = `${timeouts} transitions took longer than ${o.timeoutMs} ms: the pipeline does not keep up with the background load`;
          break crossings;
        }
        await new Promise((res) => setTimeout(res, o.gapMs));
        if (!r.arrival) break;
      }
    }
    const windowEnd = Date.now();
    const rowsAtEnd = await countRows();
    // How far behind the pipeline is at the end of the window: ingest (newest stored background reading) and the evaluation queues.
    const lag = await db.pool.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM clock_timestamp()) * 1000 - extract(epoch FROM max(time)) * 1000)::float8 AS ms FROM readings
        WHERE point_id <> $1 AND time >= to_timestamp($2 / 1000.0)`,
      [probePoint, windowStart - 60_000],
    );
    const queueRedis = createRedis(testRedisUrl());
    const pendingJobs = await pendingEvaluateJobs(queueRedis, prefix, o.partitions).finally(() => queueRedis.disconnect());
    const cpuUse = cpu.end();
    clearInterval(sampling);
    const split = cpuBetween(split0, await sampler.sample(), cpus().length);
    let profile: ProfileSummary | undefined;
    let ingestProfileSummary: ProfileSummary | undefined;
    if (profileFile) {
      workers[0]?.proc.kill('SIGUSR2');
      if (ingestProfile) ingest.proc.kill('SIGUSR2');
      profile = await awaitCpuProfile(profileFile, 'CPU profile written', 60_000);
    }
    if (ingestProfile) ingestProfileSummary = await awaitCpuProfile(ingestProfile, 'ingest CPU profile written', 60_000);
    const pubEnd = pubLast ? { ...pubLast } : undefined;
    const loadavgAfter = load1();
    publisher?.kill('SIGTERM');

    const rec = await db.pool.query<{ id: string; recorded_ms: number }>(
      `SELECT id, (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms FROM alarm_events WHERE rule_id = $1`,
      [PROBE.ruleId],
    );
    const recordedAt = new Map(rec.rows.map((r) => [r.id, r.recorded_ms]));
    const stored = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM readings WHERE point_id <> $1 AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)`,
      [probePoint, windowStart, windowEnd],
    );
    const windowS = (windowEnd - windowStart) / 1000;
    const storedPerS = Number(stored.rows[0]?.n ?? 0) / windowS;
    const writtenPerS = (rowsAtEnd - rowsAtStart) / windowS;
    const ok = samples.filter((s) => s.eventId !== null && s.liveAt !== null);
    const commitOf = (s: (typeof ok)[number]) => (recordedAt.get(s.eventId as string) ?? Number.NaN) - s.publishedAt;
    const liveOf = (s: (typeof ok)[number]) => (s.liveAt as number) - s.publishedAt;
    const by = (t: string | null, f: (s: (typeof ok)[number]) => number) => latencyStats(ok.filter((s) => t === null || s.type === t).map(f));
    const loadPartition = partitionOf(sourceKey(LOAD_SITE_IDS.hazardSourceId), o.partitions);
    const probePartition = partitionOf(sourceKey(probeSource), o.partitions);
    return {
      probe: { hazardSourceId: probeSource, partition: probePartition, loadPartition, samePartitionAsLoad: probePartition === loadPartition },
      measured: ok.length,
      timeouts: samples.length - ok.length,
      aborted,
      atWindowEnd: {
        ingestLagMs: lag.rows[0]?.ms === null || lag.rows[0]?.ms === undefined ? null : Math.round(lag.rows[0].ms),
        pendingEvaluateJobs: pendingJobs,
      },
      toCommit: { raise: by('raised', commitOf), clear: by('returned_to_normal', commitOf), all: by(null, commitOf) },
      toLive: { raise: by('raised', liveOf), clear: by('returned_to_normal', liveOf), all: by(null, liveOf) },
      ingestSlowBatches: ingest
        .output()
        .split('\n')
        .filter((l) => l.includes('slow batch')),
      series: ok.map((s) => [Math.round(s.publishedAt - windowStart), Math.round(commitOf(s) * 10) / 10, Math.round(liveOf(s))]),
      background: {
        offeredMsgPerS: o.backgroundRate,
        ackedMsgPerS:
          pubStart && pubEnd && pubEnd.elapsedMs > pubStart.elapsedMs
            ? Math.round(((pubEnd.acked - pubStart.acked) * 1000) / (pubEnd.elapsedMs - pubStart.elapsedMs))
            : null,
        storedReadingsPerS: Math.round(storedPerS),
        writtenReadingsPerS: Math.round(writtenPerS),
        rules: Math.min(o.backgroundRules, o.backgroundDevices),
        devices: o.backgroundDevices,
        channels: o.backgroundChannels,
      },
      windowS: Math.round(windowS * 10) / 10,
      cpu: cpuUse,
      cpuSplit: {
        cores: Object.fromEntries(Object.entries(split.cores).map(([k, v]) => [k, Math.round(v * 100) / 100])),
        machineCores: Math.round(split.machineCores * 100) / 100,
        otherCores: Math.round(split.otherCores * 100) / 100,
      },
      workerCpuMsPer1000Readings: writtenPerS > 0 ? Math.round((((split.cores['rules-worker'] ?? 0) * 1000) / writtenPerS) * 1000 * 100) / 100 : null,
      ...(profile ? { profile } : {}),
      ...(ingestProfileSummary ? { ingestProfile: ingestProfileSummary } : {}),
      loadavgBefore,
      loadavgAfter,
    };
  } finally {
    publisher?.kill('SIGTERM');
    await probeClient.endAsync().catch(() => undefined);
    for (const p of procs) await p.kill('SIGTERM').catch(() => undefined);
    sub.disconnect();
    await dropRedisPrefix(prefix).catch(() => undefined);
    await broker.dispose().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
}

/** A process's CPU profile as the report prints it: busy time, then self time by area and by function. */
function profileLines(label: string, s: ProfileSummary | undefined): string[] {
  if (!s) return [];
  return [
    `${label} CPU profile (${s.file}): busy ${int(s.busyMs)} of ${int(s.wallMs)} ms`,
    table(
      ['area (self time)', 'ms', '% of busy'],
      s.byArea.slice(0, 15).map((a) => [a.name, int(a.ms), fmt(a.pctOfBusy, 1)]),
    ),
    table(
      ['function (self time)', 'ms', '% of busy'],
      s.topFunctions.slice(0, 25).map((a) => [a.name, int(a.ms), fmt(a.pctOfBusy, 1)]),
    ),
  ];
}

export function formatRulesResult(r: RulesSuiteResult): string {
  const parts: string[] = [`rules bench — ${r.host.cpus} × ${r.host.cpuModel}, node ${r.host.node}${r.label ? ` — ${r.label}` : ''}`];
  if (r.engine) {
    parts.push(
      `\n(a) engine, one thread (load average ${r.engine.loadavgBefore} → ${r.engine.loadavgAfter}); target ≥ 1,000,000 threshold evaluations/s/core`,
      table(
        ['workload', 'evaluations/s', 'readings/s', 'calls', 'ms'],
        r.engine.figures.map((f) => [f.name, int(f.evaluationsPerSec), int(f.readingsPerSec), int(f.calls), String(f.elapsedMs)]),
      ),
    );
  }
  const p = r.pipeline;
  if (p) {
    const row = (name: string, s: LatencyStats) => [name, String(s.n), fmt(s.p50Ms), fmt(s.p90Ms), fmt(s.p99Ms), fmt(s.maxMs)];
    parts.push(
      `\n(b) pipeline: MQTT publish → alarm event; ${p.measured} transitions measured (${p.timeouts} timed out) over ${p.windowS} s; target p99 ≤ 100 ms to the committed event`,
      `ingest: INGEST_CONNECTIONS ${r.options.ingestConnections}, INGEST_BATCH_MAX_ROWS ${r.options.ingestBatchRows}, INGEST_BATCH_MAX_WAIT_MS ${r.options.batchWaitMs}; EVAL_PARTITIONS ${r.options.partitions}, ${r.options.workers} rules-worker process(es)`,
      `background: ${int(p.background.offeredMsgPerS)} msg/s offered × ${p.background.channels} channels (acked ${p.background.ackedMsgPerS === null ? '-' : int(p.background.ackedMsgPerS)} msg/s, written ${int(p.background.writtenReadingsPerS)} readings/s in the window; of those published in it, ${int(p.background.storedReadingsPerS)}/s stored by its end), ${p.background.devices} devices, ${p.background.rules} background rules`,
      ...(p.aborted ? [`STOPPED EARLY: ${p.aborted}`] : []),
      `at the end of the window: newest background reading ${p.atWindowEnd.ingestLagMs ?? '-'} ms old, ${p.atWindowEnd.pendingEvaluateJobs} evaluation jobs pending`,
      `probe on ${p.probe.hazardSourceId}: partition ${p.probe.partition} (background load: partition ${p.probe.loadPartition})`,
      table(
        ['latency (ms)', 'n', 'p50', 'p90', 'p99', 'max'],
        [
          row('to commit (recorded_at), raise', p.toCommit.raise),
          row('to commit (recorded_at), clear', p.toCommit.clear),
          row('to commit (recorded_at), all', p.toCommit.all),
          row('to live channel, raise', p.toLive.raise),
          row('to live channel, clear', p.toLive.clear),
          row('to live channel, all', p.toLive.all),
        ],
      ),
      `CPU over the window (cores): ${Object.entries(p.cpu.cores)
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')}; machine busy ${fmt(p.cpu.machineBusyCores, 2)} of ${r.host.cpus}; load average ${p.loadavgBefore} → ${p.loadavgAfter}`,
      `CPU split (cores): ${Object.entries(p.cpuSplit.cores)
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')}; not in a group ${fmt(p.cpuSplit.otherCores, 2)}; machine ${fmt(p.cpuSplit.machineCores, 2)}`,
      `rules-worker CPU per 1,000 readings written: ${p.workerCpuMsPer1000Readings === null ? '-' : fmt(p.workerCpuMsPer1000Readings, 2)} ms`,
      ...profileLines('rules-worker', p.profile),
      ...profileLines('ingest', p.ingestProfile),
    );
  }
  if (r.file) parts.push(`\nresults: ${r.file}`);
  return `${parts.join('\n')}\n`;
}

export async function runRulesSuite(opts: Partial<RulesSuiteOptions> = {}): Promise<RulesSuiteResult> {
  const o: RulesSuiteOptions = { ...RULES_DEFAULTS, ...opts };
  const result: RulesSuiteResult = { suite: 'rules', label: o.label, startedAt: new Date().toISOString(), host: hostInfo(), options: o };
  if (o.engine) result.engine = runEngine(o);
  if (o.pipeline) result.pipeline = await runPipeline(o);
  result.file = await writeResults('rules', result, o.out);
  process.stdout.write(formatRulesResult(result));
  return result;
}

export function parseRulesArgs(argv: string[]): Partial<RulesSuiteOptions> | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      'engine-only': { type: 'boolean' },
      'pipeline-only': { type: 'boolean' },
      'engine-ms': { type: 'string' },
      crossings: { type: 'string' },
      'background-rate': { type: 'string' },
      'background-devices': { type: 'string' },
      'background-rules': { type: 'string' },
      'probe-source': { type: 'string' },
      partitions: { type: 'string' },
      workers: { type: 'string' },
      'gap-ms': { type: 'string' },
      warmup: { type: 'string' },
      'batch-wait-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'ingest-connections': { type: 'string' },
      'ingest-batch-rows': { type: 'string' },
      'max-timeouts': { type: 'string' },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (v.help) return 'help';
  const num = (s: string | undefined, flag: string): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag}: '${s}' is not a number ≥ 0`);
    return n;
  };
  const o: Partial<RulesSuiteOptions> = {};
  if (v['engine-only']) o.pipeline = false;
  if (v['pipeline-only']) o.engine = false;
  const set = <K extends keyof RulesSuiteOptions>(k: K, x: RulesSuiteOptions[K] | undefined) => {
    if (x !== undefined) o[k] = x;
  };
  set('engineMs', num(v['engine-ms'], 'engine-ms'));
  set('crossings', num(v.crossings, 'crossings'));
  set('backgroundRate', num(v['background-rate'], 'background-rate'));
  set('backgroundDevices', num(v['background-devices'], 'background-devices'));
  set('backgroundRules', num(v['background-rules'], 'background-rules'));
  set('partitions', num(v.partitions, 'partitions'));
  set('workers', num(v.workers, 'workers'));
  set('gapMs', num(v['gap-ms'], 'gap-ms'));
  set('warmupS', num(v.warmup, 'warmup'));
  set('batchWaitMs', num(v['batch-wait-ms'], 'batch-wait-ms'));
  set('ingestConnections', num(v['ingest-connections'], 'ingest-connections'));
  if (v['ingest-batch-rows'] !== undefined)
    o.ingestBatchRows = v['ingest-batch-rows'] === 'fit' ? 'fit' : (num(v['ingest-batch-rows'], 'ingest-batch-rows') as number);
  set('timeoutMs', num(v['timeout-ms'], 'timeout-ms'));
  set('maxTimeouts', num(v['max-timeouts'], 'max-timeouts'));
  if (v['probe-source'] !== undefined) {
    if (v['probe-source'] !== 'own' && v['probe-source'] !== 'load') throw new Error('--probe-source: own or load');
    o.probeSource = v['probe-source'];
  }
  set('cpuProfileDir', v['cpu-prof']);
  set('out', v.out);
  set('label', v.label);
  return o;
}

/** Entry for tests/bench/run.ts (argv after the suite name): resolves with the exit code. */
export async function rulesSuiteMain(argv: string[]): Promise<number> {
  const o = parseRulesArgs(argv);
  if (o === 'help') {
    process.stdout.write(RULES_USAGE);
    return 0;
  }
  const r = await runRulesSuite(o);
  return r.pipeline && r.pipeline.timeouts > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await rulesSuiteMain(process.argv.slice(2));
