import { counter, gauge, histogram, type Logger } from '@hazardwatch/observability';
import { LOCK_KEYS } from './lock-keys.js';
import { cachedStorageMode } from './migrate.js';
import { periodic } from './periodic.js';
import type { Pool } from './pool.js';
import { deleteExpiredRows, type RetentionSettings } from './storage-policies.js';

/** Held (session) by the one process applying retention at a time. */
export const RETENTION_PRUNE_LOCK_KEY = LOCK_KEYS.retentionPrune;

const DAY_MS = 86_400_000;

/**
 * The Redis copy of latest values, bound to its connection and prefix: packages/queue
 * `clearLatestOlderThan(redis, prefix, cutoffMs)`. Passed in so this package stays free of Redis.
 */
export interface LatestValuesRetention {
  clearOlderThan(cutoffMs: number): Promise<{ cleared: number }>;
}

export type RetentionRunResult =
  /** TimescaleDB and no Redis copy: the database's retention policies do everything. */
  | { status: 'timescale' }
  /** Another process holds the retention lock: it does the work. */
  | { status: 'busy' }
  | {
      status: 'applied';
      /** Rows deleted from `readings`, `positions` and the rollups (0 on TimescaleDB: its policies drop chunks). */
      rows: number;
      /** Latest-values slots cleared; null without a Redis copy or when clearing it failed. */
      latestCleared: number | null;
      /** Why clearing the Redis copy failed (the database part was done). */
      latestError?: unknown;
      ms: number;
    };

/**
 * One retention pass, in one process at a time (session advisory lock): on plain PostgreSQL
 * delete the readings, positions and rollup buckets past their retention (TimescaleDB's
 * policies drop chunks on their own), then clear from the Redis copy of latest values every
 * point whose reading is older than the readings' retention, after the deletes, so an API
 * probe of a cleared point finds PostgreSQL already pruned. `nowMs` is the caller's clock.
 */
export async function applyRetention(
  pool: Pool,
  settings: RetentionSettings,
  opts: { nowMs?: number; latestValues?: LatestValuesRetention | undefined; sliceRows?: number } = {},
): Promise<RetentionRunResult> {
  const mode = await cachedStorageMode(pool);
  if (mode === 'timescale' && !opts.latestValues) return { status: 'timescale' };
  const started = performance.now();
  const nowMs = opts.nowMs ?? Date.now();
  const client = await pool.connect();
  let locked = false;
  try {
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_PRUNE_LOCK_KEY]);
    locked = lock.rows[0]?.ok === true;
    if (!locked) return { status: 'busy' };
    // On the locked client: the deletes never wait for a second connection of the pool.
    const rows = mode === 'plain' ? await deleteExpiredRows(client, settings, opts.sliceRows) : 0;
    if (!opts.latestValues) return { status: 'applied', rows, latestCleared: null, ms: performance.now() - started };
    try {
      const { cleared } = await opts.latestValues.clearOlderThan(nowMs - settings.readingsRetentionDays * DAY_MS);
      return { status: 'applied', rows, latestCleared: cleared, ms: performance.now() - started };
    } catch (latestError) {
      return { status: 'applied', rows, latestCleared: null, latestError, ms: performance.now() - started };
    }
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_PRUNE_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

export interface RetentionPrunerDeps {
  pool: Pool;
  log: Logger;
  /** Retention ages (config `db`). */
  retention: RetentionSettings;
  /** Time between two passes (`RETENTION_PRUNE_INTERVAL_MS`); 0: this process never prunes. */
  intervalMs: number;
  /** With `LATEST_VALUES_REDIS`: the Redis copy to clear after each pass. */
  latestValues?: LatestValuesRetention | undefined;
  /** Wall clock in epoch ms; tests inject theirs. */
  now?: () => number;
}

export interface RetentionPruner {
  start(): Promise<void>;
  /** Stop the timer and wait for a pass in flight. Idempotent. The pool and Redis stay open (the caller's). */
  stop(): Promise<void>;
}

/**
 * Applies retention every `intervalMs`, the first pass at once. Any number of processes may run
 * one (every ingest does): the advisory lock lets one work at a time. A failed pass is logged,
 * counted and tried again next interval. On TimescaleDB without a Redis copy it goes idle.
 */
export function createRetentionPruner(deps: RetentionPrunerDeps): RetentionPruner {
  const { pool, retention, intervalMs, latestValues } = deps;
  const log = deps.log.child({ service: 'retention-pruner' });
  const now = deps.now ?? Date.now;
  const metrics = {
    seconds: histogram('hazardwatch_retention_run_seconds', 'Duration of a retention pass by this process', [0.01, 0.1, 1, 10, 60, 300, 1800]),
    rows: counter('hazardwatch_retention_pruned_rows_total', 'Rows of readings, positions and rollups deleted by retention (plain PostgreSQL)'),
    cleared: counter('hazardwatch_retention_latest_values_cleared_total', 'Latest-values slots in Redis cleared because their reading passed retention'),
    failures: counter('hazardwatch_retention_failures_total', 'Retention passes that failed, by stage (retried next interval)', ['stage']),
    // Only the process that held the lock sets it: alert on the maximum across processes.
    lastSuccess: gauge('hazardwatch_retention_last_success_timestamp_seconds', 'When this process last completed a retention pass'),
  };

  const job = periodic(intervalMs, () =>
    applyRetention(pool, retention, { nowMs: now(), latestValues }).then(
      (r) => {
        if (r.status === 'timescale') {
          log.info('TimescaleDB: its retention policies drop old chunks and no Redis copy needs clearing; pruner idle');
          return 'idle' as const;
        }
        if (r.status === 'busy') {
          log.debug('another process holds the retention lock');
          return undefined;
        }
        metrics.seconds.observe(r.ms / 1000);
        metrics.rows.inc(r.rows);
        if (r.latestCleared !== null) metrics.cleared.inc(r.latestCleared);
        if (r.latestError !== undefined) {
          metrics.failures.inc({ stage: 'latest_values' });
          log.warn({ err: r.latestError, rows: r.rows }, 'retention: clearing the Redis copy of latest values failed; trying again next interval');
          return undefined;
        }
        metrics.lastSuccess.set(now() / 1000);
        log.info({ rows: r.rows, latestCleared: r.latestCleared, ms: Math.round(r.ms) }, 'retention applied');
        return undefined;
      },
      (err: unknown) => {
        metrics.failures.inc({ stage: 'database' });
        log.warn({ err }, 'retention failed; trying again next interval');
        return undefined;
      },
    ),
  );

  return {
    async start() {
      if (intervalMs <= 0) log.info('RETENTION_PRUNE_INTERVAL_MS=0: this process does not apply retention');
      job.start();
    },
    stop: job.stop,
  };
}
