import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { topicFor } from '@hazardwatch/contracts';
import { applySiteFile } from '@hazardwatch/db';
import { createRedis, latestWriterLive } from '@hazardwatch/queue';
import { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';
import {
  createTestDatabase,
  dropRedisPrefix,
  freePort,
  startMosquitto,
  type TestBroker,
  type TestDatabase,
  testRedisPrefix,
  testRedisUrl,
  uniqueToken,
  waitFor,
} from '@hazardwatch/testkit';
import mqtt from 'mqtt';
import { type ServiceProcess, spawnService } from '../../support/ingest-process.js';
import { type ProfileSummary, summariseCpuProfile } from '../lib/cpu-profile.js';
import { CpuSampler, type CpuSnapshot, type CpuUse, cpuBetween } from '../lib/cpu-sampler.js';
import { allProcesses, readRssBytes } from '../lib/proc.js';
import { counterDelta, histogramDelta, histogramQuantile, type PromSamples, parsePromText } from '../lib/prom-text.js';
import type { Workload } from './options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RunParams {
  workload: Workload;
  channels: number;
  devices: number;
  /** Offered messages/s over all devices, or 'max'. */
  rate: number | 'max';
  connections: number;
  batchRows: number;
  batchWaitMs: number;
  partitions: number;
  poolMax: number;
  /** LATEST_VALUES_REDIS=true for ingest; false leaves ingest's own default. */
  latestValuesRedis: boolean;
  pubConnections: number;
  window: number;
  warmupS: number;
  durationS: number;
  cpuProfile: boolean;
  profileDir: string;
}

export interface TimelinePoint {
  tS: number;
  storedReadings: number;
  publishedAcked: number;
  ingestRssMb: number | null;
  cores: Record<string, number>;
}

export interface RunResult {
  params: Omit<RunParams, 'profileDir'>;
  window: { seconds: number; storedReadingsStart: number; storedReadingsEnd: number };
  stored: { readingsPerS: number; messagesPerS: number };
  /** What the broker acknowledged to the publisher over the window. */
  offered: { messagesPerS: number; readingsPerS: number };
  /** Messages acknowledged by the broker but not yet stored, at the window's start and end. */
  backlogMessages: { start: number; end: number };
  /** Cross-check: new rows reported by ingest's own counter over the window. */
  ingestCounterReadingsPerS: number;
  loss: {
    publishedAcked: number;
    publishFailures: number;
    expectedReadings: number;
    storedReadings: number;
    lostReadings: number;
    deadLetters: number;
    drainSeconds: number;
    exact: boolean;
  };
  commit: {
    batches: number;
    batchesPerS: number;
    meanRowsPerBatch: number;
    meanSeconds: number;
    p50Seconds: number | null;
    p99Seconds: number | null;
    p50Bucket: string | null;
    p99Bucket: string | null;
  };
  cpu: CpuUse;
  /** At the window's end: whether an ingest writer vouched for the Redis copy (packages/queue `latestWriterLive`). */
  latestValues: { writerLive: boolean };
  ingest: { rssPeakMb: number; rssEndMb: number | null; eventLoopUtilization: number | null };
  profile: ProfileSummary | null;
  timeline: TimelinePoint[];
}

const mb = (b: number | null) => (b === null ? null : Math.round(b / 1048576));

/** Lines of a child's stdout as parsed JSON objects. */
function jsonLines(proc: ChildProcess, onObject: (o: Record<string, unknown>) => void): void {
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        onObject(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line (a warning): ignore
      }
    }
  });
}

async function scrape(port: number): Promise<PromSamples> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parsePromText(await res.text());
}

async function countReadingsExact(db: TestDatabase): Promise<{ n: number; atMs: number }> {
  // The count sees the snapshot taken when the statement starts.
  const atMs = Date.now();
  const r = await db.pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM readings');
  return { n: r.rows[0]?.n ?? 0, atMs };
}

/** Process groups whose CPU is measured: our children, and the PostgreSQL server split by role. */
function groupsOf(db: TestDatabase, pids: { ingest: number; broker: number; publisher: () => number | undefined }) {
  return async (): Promise<Map<string, number[]>> => {
    const act = await db.pool.query<{ pid: number; datname: string | null; application_name: string; backend_type: string }>(
      'SELECT pid, datname, application_name, backend_type FROM pg_stat_activity',
    );
    const ingestBackends: number[] = [];
    const benchBackends: number[] = [];
    const background: number[] = [];
    const otherDbs: number[] = [];
    for (const a of act.rows) {
      if (a.backend_type === 'client backend' || a.backend_type === 'parallel worker') {
        if (a.datname !== db.name) otherDbs.push(a.pid);
        else if (a.application_name === 'hazardwatch-ingest') ingestBackends.push(a.pid);
        else benchBackends.push(a.pid);
      } else background.push(a.pid);
    }
    // The postmaster is the parent of every backend and is not listed in pg_stat_activity.
    const anyBackend = act.rows[0]?.pid;
    const procs = allProcesses();
    const postmaster = procs.find((p) => p.pid === anyBackend)?.ppid;
    if (postmaster) background.push(postmaster);
    const redis = procs.filter((p) => p.comm === 'redis-server').map((p) => p.pid);
    const publisher = pids.publisher();
    return new Map<string, number[]>([
      ['ingest', [pids.ingest]],
      ['broker', [pids.broker]],
      ['publisher', publisher ? [publisher] : []],
      ['postgres (ingest backends)', ingestBackends],
      ['postgres (wal, checkpointer, …)', background],
      ['postgres (bench count queries)', benchBackends],
      ['redis', redis],
      ['bench harness', [process.pid]],
      ['postgres (other databases)', otherDbs],
    ]);
  };
}

async function stopProcess(p: ServiceProcess, timeoutMs: number): Promise<void> {
  const exited = p.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/**
 * One measured run: fresh database, broker and Redis prefix; ingest and the
 * publisher as their own processes; warm-up, then a steady window measured by
 * exact row counts; then the publisher stops and the run waits until every
 * acknowledged reading is stored (or reports what is missing).
 */
export async function runOne(p: RunParams, log: (s: string) => void): Promise<RunResult> {
  const perDeviceHz = p.rate === 'max' ? 1 : p.rate / p.devices;
  let db: TestDatabase | undefined;
  let broker: TestBroker | undefined;
  let ingest: ServiceProcess | undefined;
  let publisher: ChildProcess | undefined;
  const prefix = testRedisPrefix();
  try {
    db = await createTestDatabase({ timescale: 'off' });
    const site = buildLoadSite({ devices: p.devices, channels: p.channels, rateHz: perDeviceHz });
    await applySiteFile(db.pool, site);
    broker = await startMosquitto();
    const brokerPid = allProcesses()
      .filter((x) => x.comm === 'mosquitto' && x.ppid === process.pid)
      .map((x) => x.pid)
      .sort((x, y) => y - x)[0];
    if (!brokerPid) throw new Error('cannot find the pid of the bench Mosquitto');

    const topicPrefix = `b${uniqueToken()}/`;
    const metricsPort = await freePort();
    const profileFile = join(p.profileDir, `ingest-${p.workload}-${uniqueToken()}.cpuprofile`);
    ingest = spawnService('tests/bench/ingest/ingest-main.ts', {
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: String(p.poolMax),
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: topicPrefix,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      EVAL_PARTITIONS: String(p.partitions),
      INGEST_CLIENT_ID: `bench-${uniqueToken()}`,
      INGEST_CONNECTIONS: String(p.connections),
      INGEST_BATCH_MAX_ROWS: String(p.batchRows),
      INGEST_BATCH_MAX_WAIT_MS: String(p.batchWaitMs),
      ...(p.latestValuesRedis ? { LATEST_VALUES_REDIS: 'true' } : {}),
      BENCH_METRICS_PORT: String(metricsPort),
      ...(p.cpuProfile ? { BENCH_CPU_PROFILE: profileFile } : {}),
    });
    const ing = ingest;
    await waitFor(() => ing.output().includes('ingest connected to broker') || ing.proc.exitCode !== null, { what: 'ingest up', timeoutMs: 60_000 });
    if (ing.proc.exitCode !== null) throw new Error(`ingest exited: ${ing.output()}`);

    // A probe before the load: proves the shared subscription has a member (a share group without one drops messages).
    const probeTs = Date.now() - 7_200_000;
    const probe = await mqtt.connectAsync(broker.url, { clean: true });
    const probeValues = Object.fromEntries(Array.from({ length: p.channels }, (_, j) => [`${LOAD_SITE_IDS.channelPrefix}${j}`, 1]));
    await probe.publishAsync(
      topicFor(LOAD_SITE_IDS.enterpriseId, loadDeviceId(0), 'telemetry', topicPrefix),
      JSON.stringify({ ts: probeTs, values: probeValues }),
      {
        qos: 1,
      },
    );
    await probe.endAsync();
    const dbRef = db;
    await waitFor(async () => (await countReadingsExact(dbRef)).n === p.channels, { what: 'probe stored', timeoutMs: 30_000 });

    let pubLast: Record<string, unknown> = {};
    let pubDone: Record<string, unknown> | undefined;
    const pub = spawn(
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
        String(p.devices),
        '--channels',
        String(p.channels),
        '--rate',
        String(p.rate),
        '--connections',
        String(p.pubConnections),
        '--window',
        String(p.window),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    publisher = pub;
    let pubErr = '';
    pub.stderr?.on('data', (b: Buffer) => {
      pubErr = (pubErr + b.toString()).slice(-5000);
    });
    jsonLines(pub, (o) => {
      if (o.event === 'done') pubDone = o;
      else pubLast = o;
    });
    await waitFor(() => pubLast.event === 'ready' || pubLast.event === 'progress' || pub.exitCode !== null, { what: 'publisher ready', timeoutMs: 60_000 });
    if (pub.exitCode !== null) throw new Error(`publisher exited: ${pubErr}`);
    log(`  publishing ${p.rate} msg/s from ${p.devices} devices × ${p.channels} channels; warm-up ${p.warmupS} s`);

    const sampler = new CpuSampler(groupsOf(db, { ingest: ing.proc.pid ?? 0, broker: brokerPid, publisher: () => pub.pid }));
    const timeline: TimelinePoint[] = [];
    let rssPeak = 0;
    let prevSnap: CpuSnapshot = await sampler.sample();
    const t0 = Date.now();
    let sampling = true;
    const sampleLoop = (async () => {
      while (sampling) {
        await sleep(1000);
        const snap = await sampler.sample();
        const rss = readRssBytes(ing.proc.pid ?? 0);
        if (rss) rssPeak = Math.max(rssPeak, rss);
        let stored = -1;
        try {
          stored = counterDelta(new Map(), await scrape(metricsPort), 'hazardwatch_ingest_readings_total');
        } catch {
          // ingest busy or gone: leave the point without it
        }
        timeline.push({
          tS: Math.round((snap.atMs - t0) / 100) / 10,
          storedReadings: stored,
          publishedAcked: Number(pubLast.acked ?? 0),
          ingestRssMb: mb(rss),
          cores: cpuBetween(prevSnap, snap, cpus().length).cores,
        });
        prevSnap = snap;
      }
    })();

    await sleep(p.warmupS * 1000);
    if (p.cpuProfile) ing.proc.kill('SIGUSR2');
    const cpuA = await sampler.sample();
    const promA = await scrape(metricsPort);
    const pubA = Number(pubLast.acked ?? 0);
    const countA = await countReadingsExact(db);
    log(`  measuring ${p.durationS} s`);
    await sleep(p.durationS * 1000);
    const cpuB = await sampler.sample();
    const promB = await scrape(metricsPort);
    const pubB = Number(pubLast.acked ?? 0);
    const countB = await countReadingsExact(db);
    if (p.cpuProfile) ing.proc.kill('SIGUSR2');
    // Proves the copy was (or was not) written during the window: the writer keeps its mark only while its writes succeed.
    const probeRedis = createRedis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    const writerLive = await latestWriterLive(probeRedis, prefix).finally(() => probeRedis.disconnect());

    // Stop publishing; the publisher waits for its outstanding acknowledgements.
    pub.kill('SIGTERM');
    await waitFor(() => pubDone ?? pub.exitCode !== null, { what: 'publisher done', timeoutMs: 120_000 });
    if (!pubDone) throw new Error(`publisher ended without a summary: ${pubErr}`);
    const done = pubDone;
    const publishedAcked = Number(done.acked);
    const expectedReadings = p.channels + publishedAcked * p.channels;

    // Drain: every acknowledged message must be stored; give up only when nothing moves for 60 s.
    log(`  draining: ${publishedAcked} messages acknowledged by the broker`);
    const drainStart = Date.now();
    let last = await countReadingsExact(db);
    let lastMoveAt = Date.now();
    while (last.n < expectedReadings && Date.now() - lastMoveAt < 60_000) {
      await sleep(1000);
      const c = await countReadingsExact(db);
      if (c.n !== last.n) lastMoveAt = Date.now();
      last = c;
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    // Redeliveries after the count is reached would show as more rows only if a key were missing; recount after a pause.
    await sleep(2000);
    const final = await countReadingsExact(db);
    const dl = await db.pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM dead_letters');
    sampling = false;
    await sampleLoop;

    const elu = (() => {
      const act = counterDelta(promA, promB, 'bench_event_loop_active_ms');
      const idle = counterDelta(promA, promB, 'bench_event_loop_idle_ms');
      return act + idle > 0 ? act / (act + idle) : null;
    })();
    const rssEnd = readRssBytes(ing.proc.pid ?? 0);
    await stopProcess(ing, 30_000);
    ingest = undefined;

    let profile: ProfileSummary | null = null;
    if (p.cpuProfile) {
      await waitFor(() => existsSync(profileFile), { what: 'cpu profile written', timeoutMs: 10_000 }).catch(() => undefined);
      if (existsSync(profileFile)) profile = await summariseCpuProfile(profileFile);
    }

    const seconds = (countB.atMs - countA.atMs) / 1000;
    const readingsStored = countB.n - countA.n;
    const commit = histogramDelta(promA, promB, 'hazardwatch_ingest_commit_seconds');
    const rows = histogramDelta(promA, promB, 'hazardwatch_ingest_batch_rows');
    const q50 = histogramQuantile(0.5, commit);
    const q99 = histogramQuantile(0.99, commit);
    const bucket = (q: typeof q50) => (q ? `${q.bucketLow}-${q.bucketHigh} s` : null);
    const { profileDir: _dir, ...params } = p;
    return {
      params,
      window: { seconds, storedReadingsStart: countA.n, storedReadingsEnd: countB.n },
      stored: { readingsPerS: readingsStored / seconds, messagesPerS: readingsStored / p.channels / seconds },
      offered: { messagesPerS: (pubB - pubA) / seconds, readingsPerS: ((pubB - pubA) * p.channels) / seconds },
      backlogMessages: {
        start: Math.max(0, pubA - (countA.n - p.channels) / p.channels),
        end: Math.max(0, pubB - (countB.n - p.channels) / p.channels),
      },
      ingestCounterReadingsPerS: counterDelta(promA, promB, 'hazardwatch_ingest_readings_total') / seconds,
      loss: {
        publishedAcked,
        publishFailures: Number(done.failed ?? 0),
        expectedReadings,
        storedReadings: final.n,
        lostReadings: expectedReadings - final.n,
        deadLetters: dl.rows[0]?.n ?? 0,
        drainSeconds,
        exact: final.n === expectedReadings,
      },
      commit: {
        batches: commit.count,
        batchesPerS: commit.count / seconds,
        meanRowsPerBatch: rows.count > 0 ? rows.sum / rows.count : 0,
        meanSeconds: commit.count > 0 ? commit.sum / commit.count : 0,
        p50Seconds: q50?.value ?? null,
        p99Seconds: q99?.value ?? null,
        p50Bucket: bucket(q50),
        p99Bucket: bucket(q99),
      },
      cpu: cpuBetween(cpuA, cpuB, cpus().length),
      latestValues: { writerLive },
      ingest: { rssPeakMb: mb(rssPeak) ?? 0, rssEndMb: mb(rssEnd), eventLoopUtilization: elu },
      profile,
      timeline,
    };
  } finally {
    if (publisher && publisher.exitCode === null) publisher.kill('SIGKILL');
    if (ingest) await stopProcess(ingest, 10_000).catch(() => undefined);
    await broker?.dispose().catch(() => undefined);
    await dropRedisPrefix(prefix).catch(() => undefined);
    await db?.drop().catch(() => undefined);
  }
}
