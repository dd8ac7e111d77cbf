import { hostname } from 'node:os';
import type { Config } from '@hazardwatch/config';
import type { Pool } from '@hazardwatch/db';
import { type Logger, once, runAll } from '@hazardwatch/observability';
import { QueueNames, type Redis } from '@hazardwatch/queue';
import { Queue, Worker } from 'bullmq';
import { createEventPublisher, type EventPublisher } from './event-publisher.js';
import { LogLimiter } from './input-recency.js';
import { TICK_JOB_NAME, TICK_JOB_OPTIONS, type TickJob, tickJobId } from './jobs.js';
import { rulesWorkerMetrics } from './metrics.js';
import { type JobOutcome, type ProcessorContext, processPartitionJob } from './partition-processor.js';
import { createPartitionStore, type PartitionStore } from './partition-store.js';
import { RuleCache } from './rule-cache.js';

export type RulesWorkerDeps = {
  pool: Pool;
  /** Makes a Redis connection (BullMQ needs `maxRetriesPerRequest: null`: use `createRedis` of @hazardwatch/queue). */
  redis: () => Redis;
  /** BullMQ prefix (QUEUE_PREFIX); rule state lives under it too. */
  prefix: string;
  /** Number of evaluation partitions (EVAL_PARTITIONS); must match ingest. */
  partitions: number;
  log: Logger;
  /** Tick interval per partition (RULES_WORKER_TICK_MS). */
  tickMs: number;
  now?: () => number;
  /** Partitions this process serves (default: all). Any process may serve any partition. */
  servePartitions?: readonly number[];
  /** A tick evaluates at its slot minus this lag, so readings still in ingest's batch are not late (default 1 s). */
  tickLagMs?: number;
  /** BullMQ lock of an active job; a dead worker's job is taken over after it runs out (default 10 s). */
  lockDurationMs?: number;
  /** This pool member's name, recorded on every job it processes (default: host and pid). */
  workerName?: string;
  /** How often stalled jobs (of dead workers) are looked for (default 5 s). */
  stalledIntervalMs?: number;
  /** How often cached rule versions are compared with the database (default 30 s). */
  versionCheckMs?: number;
  /** Backoff of retries inside a job (default 100 ms doubling to 5 s). */
  retry?: { minMs: number; maxMs: number };
  /** Attempts given to an error that is not an outage before the job fails (default 5). */
  maxAttempts?: number;
  /** At most one warning about late inputs per this interval (default 10 s). */
  lateLogMs?: number;
};

/** The deps a process takes from its configuration (RULES_WORKER_* of `@hazardwatch/config`). */
export function rulesWorkerTimings(
  c: Config['rulesWorker'],
): Pick<
  RulesWorkerDeps,
  'tickMs' | 'tickLagMs' | 'lockDurationMs' | 'stalledIntervalMs' | 'versionCheckMs' | 'retry' | 'maxAttempts' | 'lateLogMs' | 'servePartitions' | 'workerName'
> {
  return {
    tickMs: c.tickMs,
    tickLagMs: c.tickLagMs,
    lockDurationMs: c.lockMs,
    stalledIntervalMs: c.stalledCheckMs,
    versionCheckMs: c.ruleCheckMs,
    retry: c.retry,
    maxAttempts: c.maxAttempts,
    lateLogMs: c.lateLogMs,
    ...(c.partitions ? { servePartitions: c.partitions } : {}),
    ...(c.name ? { workerName: c.name } : {}),
  };
}

export type RulesWorker = {
  start(): Promise<void>;
  /** Stops taking jobs, puts a job that is retrying back at the head of its queue, closes connections. Idempotent. */
  stop(): Promise<void>;
  /** Live rules in the cache (for health checks and tests). */
  rulesCached(): number;
};

/**
 * The rules worker pool member: one BullMQ Worker per partition queue `evaluate-{n}`, each with
 * concurrency 1 and the queue's global concurrency 1, so a partition is evaluated one job at a
 * time across every process, in queue order. See README.md for ordering, state, idempotency,
 * rule versions, the tick and failure behaviour.
 */
export function createRulesWorker(deps: RulesWorkerDeps): RulesWorker {
  const log = deps.log.child({ service: 'rules-worker' });
  const now = deps.now ?? Date.now;
  const metrics = rulesWorkerMetrics();
  const partitions = deps.servePartitions ?? Array.from({ length: deps.partitions }, (_, n) => n);
  const abort = new AbortController();
  const workerName = deps.workerName ?? `${hostname()}:${process.pid}`;
  const verified = new Map<number, Map<string, number>>();
  const cache = new RuleCache({
    pool: deps.pool,
    partitions: deps.partitions,
    log,
    versionCheckMs: deps.versionCheckMs ?? 30_000,
    now,
    // Force a version check of the changed rule at the next tick of every partition.
    onChange: (ruleId) => {
      for (const m of verified.values()) m.delete(ruleId);
    },
  });
  let connection: Redis | undefined;
  let publisher: EventPublisher | undefined;
  let store: PartitionStore | undefined;
  const queues = new Map<number, Queue>();
  const workers: Worker[] = [];
  let tickTimer: NodeJS.Timeout | undefined;
  let ticking = false;

  /** Enqueue this slot's tick in every served partition (every process does; the job id makes one). */
  const tick = async (): Promise<void> => {
    if (ticking || abort.signal.aborted) return;
    ticking = true;
    try {
      const at = Math.floor(now() / deps.tickMs) * deps.tickMs;
      const st = store;
      if (!st) return;
      // A partition with no rules has nothing a tick could fire: its tick job would end `no_rules`
      // after two Redis round trips and a job's add/fetch/finish (14 of 16 partitions in the rules
      // bench). The job checks the cache it runs with anyway; until the cache is loaded, tick all.
      const ticked = cache.isReady ? [...queues].filter(([p]) => cache.rulesFor(p).rules.length > 0) : [...queues];
      await Promise.all(
        ticked.map(async ([p, q]) => {
          await st.markTick(p, at);
          const data: TickJob = { v: 1, at };
          await q.add(TICK_JOB_NAME, data, { ...TICK_JOB_OPTIONS, jobId: tickJobId(at) });
        }),
      );
    } catch (err) {
      log.warn({ err }, 'could not enqueue ticks; next interval retries');
    } finally {
      ticking = false;
    }
  };

  return {
    async start() {
      const conn = deps.redis();
      connection = conn;
      store = createPartitionStore(conn, deps.prefix);
      publisher = createEventPublisher(conn, deps.prefix);
      const ctx: ProcessorContext = {
        pool: deps.pool,
        prefix: deps.prefix,
        partitions: deps.partitions,
        store,
        cache,
        publisher,
        log,
        metrics,
        now,
        tickLagMs: deps.tickLagMs ?? 1_000,
        signal: abort.signal,
        retry: { minMs: deps.retry?.minMs ?? 100, maxMs: deps.retry?.maxMs ?? 5_000, maxPermanentAttempts: deps.maxAttempts ?? 5 },
        verified,
        lateLog: new LogLimiter(deps.lateLogMs ?? 10_000),
      };
      cache.start();
      for (const p of partitions) {
        const name = QueueNames.evaluate(p);
        const q = new Queue(name, { connection: conn, prefix: deps.prefix });
        q.on('error', (err) => log.warn({ err, partition: p }, 'queue error'));
        // One job at a time per partition across the whole pool: this is what keeps order.
        await q.setGlobalConcurrency(1);
        queues.set(p, q);
        const w = new Worker<unknown, JobOutcome>(name, (job, token) => processPartitionJob(ctx, p, job, token), {
          connection: conn,
          prefix: deps.prefix,
          concurrency: 1,
          // Recorded on each job as `processedBy`: which member of the pool evaluated it.
          name: workerName,
          lockDuration: deps.lockDurationMs ?? 10_000,
          stalledInterval: deps.stalledIntervalMs ?? 5_000,
          // A job is only ever "stalled" because its worker died; give it back every time rather
          // than fail it (a failed evaluation job is a lost alarm).
          maxStalledCount: 1_000,
        });
        w.on('error', (err) => log.warn({ err, partition: p }, 'worker error'));
        w.on('stalled', (jobId) => log.warn({ partition: p, jobId }, 'stalled job of a dead worker taken back into the queue'));
        workers.push(w);
      }
      tickTimer = setInterval(() => void tick(), deps.tickMs);
      await tick();
      log.info({ partitions: partitions.length, tickMs: deps.tickMs }, 'rules worker started');
    },
    stop: once(async () => {
      if (tickTimer) clearInterval(tickTimer);
      abort.abort();
      await runAll([
        () => Promise.all(workers.map((w) => w.close())),
        () => cache.stop(),
        () => publisher?.close(),
        () => Promise.all([...queues.values()].map((q) => q.close())),
        () => connection?.quit(),
      ]);
      log.info('rules worker stopped');
    }),
    rulesCached: () => cache.size,
  };
}
