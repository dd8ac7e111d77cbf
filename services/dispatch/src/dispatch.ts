import type { AlarmEvent } from '@hazardwatch/contracts';
import { dispatchCursor, latestAlarmEventSeq, latestDispatchEventSeq, type Pool, type SecretBox } from '@hazardwatch/db';
import { type Logger, once, runAll } from '@hazardwatch/observability';
import { QueueNames, type Redis } from '@hazardwatch/queue';
import { Worker } from 'bullmq';
import type { DispatchSettings } from './config.js';
import { createDeliveryProcessor } from './delivery.js';
import { createEscalator } from './escalator.js';
import { createFanOut } from './fan-out.js';
import type { FetchLike } from './http-post.js';
import { dispatchMetrics } from './metrics.js';
import { createOfflineDetector } from './offline.js';
import { createDispatchQueues, publishEvents } from './queues.js';
import { createSweeper } from './sweeper.js';
import { TargetSlots } from './target-slots.js';

export interface DispatchDeps {
  pool: Pool;
  /** Redis for the queues (BullMQ duplicates it for its blocking reads) and for publishing live events. */
  redis: Redis;
  /** BullMQ key prefix and live-channel prefix (config QUEUE_PREFIX). */
  prefix: string;
  settings: DispatchSettings;
  secrets: SecretBox;
  log: Logger;
  now?: () => number;
  rand?: () => number;
  fetch?: FetchLike;
  /** Overrides settings.offlineInterruptedShare (DISPATCH_OFFLINE_INTERRUPTED_SHARE) — tests. */
  offlineInterruptedShare?: number;
}

export interface Dispatch {
  start(): Promise<void>;
  /** Stop intake and timers, let attempts in flight finish, close the queues. Idempotent. Pool and Redis stay open (the caller's). */
  stop(): Promise<void>;
}

/** A periodic task: runs, then sleeps `everyMs`; errors are logged and it goes on. */
function loop(name: string, everyMs: number, run: () => Promise<unknown>, log: Logger): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const step = (): void => {
    running = run()
      .then(
        () => undefined,
        (err: unknown) => log.error({ err, task: name }, 'periodic task failed; trying again next period'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(step, everyMs);
      });
  };
  timer = setTimeout(step, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The dispatch service: fans alarm events out into deliveries, delivers them (signed,
 * retried, recorded, dead-lettered), escalates unacknowledged alarms, reports enterprises
 * whose data stopped, and sweeps up events and deliveries whose jobs were lost.
 */
export function createDispatch(deps: DispatchDeps): Dispatch {
  const { pool, redis, prefix, settings } = deps;
  const log = deps.log.child({ service: 'dispatch' });
  const now = deps.now ?? Date.now;
  const rand = deps.rand ?? Math.random;
  const metrics = dispatchMetrics();
  const queues = createDispatchQueues(redis, prefix);
  const cursor = { baseSeq: 0, seq: 0 };
  const publish = (events: readonly AlarmEvent[]) => publishEvents(queues, redis, prefix, events);
  const fanOut = createFanOut({ pool, targetCacheMs: settings.targetCacheMs, queues, log, metrics, now, baseSeq: () => cursor.baseSeq });
  const deliver = createDeliveryProcessor({
    pool,
    secrets: deps.secrets,
    queues,
    slots: new TargetSlots(settings.perTargetConcurrency),
    retry: settings.retry,
    requestTimeoutMs: settings.requestTimeoutMs,
    log,
    metrics,
    now,
    rand,
    fetch: deps.fetch ?? ((url, init) => fetch(url, init)),
  });
  const escalator = createEscalator({ pool, policy: settings.escalationPolicy, publish, log, metrics, now, leaseMs: Math.max(10_000, settings.lockMs) });
  const offline = createOfflineDetector({
    pool,
    offlineAfterMs: settings.offlineAfterMs,
    interruptedShare: deps.offlineInterruptedShare ?? settings.offlineInterruptedShare,
    publish,
    log,
    metrics,
    now,
  });
  const sweeper = createSweeper({ pool, queues, fanOut, graceMs: settings.sweepGraceMs, cursor, log, metrics, now });
  const workers: Worker[] = [];
  const loops: Array<{ stop(): Promise<void> }> = [];
  const workerOptions = {
    connection: redis,
    prefix,
    lockDuration: settings.lockMs,
    stalledInterval: settings.lockMs,
    // A job that keeps stalling (its process keeps dying) is left to the sweeper rather than failed early.
    maxStalledCount: 10,
  };

  return {
    async start() {
      const initial = Math.max(await latestAlarmEventSeq(pool), await latestDispatchEventSeq(pool));
      Object.assign(cursor, await dispatchCursor(pool, initial));
      const seeded = await escalator.seed();
      const events = new Worker(QueueNames.alarmEvents, (job) => fanOut.process(job), { ...workerOptions, concurrency: settings.fanOutConcurrency });
      const deliveries = new Worker(QueueNames.deliveries, (job, token) => deliver(job, token), {
        ...workerOptions,
        concurrency: settings.deliveryConcurrency,
      });
      for (const w of [events, deliveries]) {
        w.on('error', (err) => log.error({ err, queue: w.name }, 'queue worker error'));
        w.on('failed', (job, err) => log.error({ err, queue: w.name, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'job failed'));
        workers.push(w);
      }
      loops.push(loop('escalation', settings.escalationTickMs, () => escalator.tick(), log));
      if (settings.offlineCheckMs > 0) loops.push(loop('offline', settings.offlineCheckMs, () => offline.check(), log));
      loops.push(loop('sweep', settings.sweepMs, () => sweeper.sweep(), log));
      log.info(
        { baseSeq: cursor.baseSeq, cursorSeq: cursor.seq, escalationTimersSeeded: seeded, secretsSealed: deps.secrets.keyId !== 'plain' },
        'dispatch started',
      );
    },
    stop: once(async () => {
      await runAll([
        // Intake first: no new jobs taken, no timer fires; close() waits for jobs in flight.
        () => Promise.all(workers.map((w) => w.close())),
        () => Promise.all(loops.map((l) => l.stop())),
        () => queues.close(),
      ]);
      log.info('dispatch stopped');
    }),
  };
}
