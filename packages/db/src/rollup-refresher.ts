import { counter, gauge, histogram, type Logger } from '@hazardwatch/observability';
import { cachedStorageMode } from './migrate.js';
import { periodic } from './periodic.js';
import type { Pool } from './pool.js';
import { MINUTE_MS, ROLLUP_REFRESH_LOCK_KEY, raiseInvalidationWatermark, rollupState, rollupStep, summarizeNewReadingRanges } from './repos/rollup.repo.js';

export interface RollupRefreshSettings {
  /** A minute is rolled up once it has been closed this long (readings a little late stay out of the pending path). */
  lagMs: number;
  /** Reading time aggregated per transaction: a backfill advances in slices of this. */
  maxSpanMs: number;
}

export interface RollupRefresherSettings extends RollupRefreshSettings {
  /** Time between two refreshes; 0: this process never refreshes. */
  intervalMs: number;
}

export type RollupRefreshResult =
  | { status: 'timescale' }
  /** Another process holds the refresh lock: it does the work. */
  | { status: 'busy' }
  | {
      status: 'refreshed';
      rolledToMs: number;
      steps: number;
      minuteRows: number;
      pendingClaimed: number;
      /** False when the BRIN summary gave way to a vacuum of `readings` (the range scans then read more). */
      summarized: boolean;
      ms: number;
    };

/** How long raising the watermark may wait for ingest commits in flight before the cycle gives up. */
const FENCE_LOCK_TIMEOUT_MS = 2_000;
/** The BRIN summary waits no longer for a vacuum of `readings` (below deadlock_timeout, so autovacuum is never cancelled). */
const SUMMARIZE_LOCK_TIMEOUT_MS = 200;
/** Pending minutes redone per transaction. */
const CLAIM_LIMIT = 20_000;

/**
 * One refresh, as TimescaleDB's continuous-aggregate policy does on plain PostgreSQL: raise the
 * watermark to the last minute closed `lagMs` ago, roll up every minute below it not yet
 * rolled up (slices of `maxSpanMs`), redo the minutes that received readings late, derive the
 * hours. Only one process at a time (session advisory lock); a no-op on TimescaleDB.
 * `nowMs` is the caller's clock (tests, benchmarks); default the wall clock.
 */
export async function refreshRollups(pool: Pool, s: RollupRefreshSettings, nowMs: number = Date.now()): Promise<RollupRefreshResult> {
  if ((await cachedStorageMode(pool)) === 'timescale') return { status: 'timescale' };
  const started = performance.now();
  const client = await pool.connect();
  let locked = false;
  try {
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [ROLLUP_REFRESH_LOCK_KEY]);
    locked = lock.rows[0]?.ok === true;
    if (!locked) return { status: 'busy' };
    const target = Math.floor((nowMs - s.lagMs) / MINUTE_MS) * MINUTE_MS;
    // The fence lock holds ingest's commits back for a moment: take it only when the watermark moves.
    const { invalidateBelowMs } = await rollupState(client);
    const targetMs =
      invalidateBelowMs !== null && target <= invalidateBelowMs ? invalidateBelowMs : await raiseInvalidationWatermark(client, target, FENCE_LOCK_TIMEOUT_MS);
    const summarized = await summarizeNewReadingRanges(client, SUMMARIZE_LOCK_TIMEOUT_MS);
    const maxSpanMs = Math.max(MINUTE_MS, Math.floor(s.maxSpanMs / MINUTE_MS) * MINUTE_MS);
    let steps = 0;
    let minuteRows = 0;
    let pendingClaimed = 0;
    let rolledToMs: number;
    for (;;) {
      const r = await rollupStep(client, { targetMs, maxSpanMs, claimLimit: CLAIM_LIMIT });
      steps++;
      minuteRows += r.minuteRows;
      pendingClaimed += r.pendingClaimed;
      rolledToMs = r.toMs;
      if (r.toMs >= targetMs && r.pendingClaimed < CLAIM_LIMIT) break;
    }
    return { status: 'refreshed', rolledToMs, steps, minuteRows, pendingClaimed, summarized, ms: performance.now() - started };
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [ROLLUP_REFRESH_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

export interface RollupRefresherDeps {
  pool: Pool;
  log: Logger;
  settings: RollupRefresherSettings;
  /** Wall clock in epoch ms; tests inject theirs. */
  now?: () => number;
}

export interface RollupRefresher {
  start(): Promise<void>;
  /** Stop the timer and wait for a refresh in flight. Idempotent. The pool stays open (the caller's). */
  stop(): Promise<void>;
}

/**
 * Refreshes the plain-PostgreSQL rollups every `intervalMs`, off ingest's commit path; the first
 * refresh (a backfill on a database with history) starts at once. Any number of processes may run
 * one: the advisory lock lets one work at a time. Does nothing on TimescaleDB or with interval 0.
 */
export function createRollupRefresher(deps: RollupRefresherDeps): RollupRefresher {
  const { pool, settings } = deps;
  const log = deps.log.child({ service: 'rollup-refresher' });
  const now = deps.now ?? Date.now;
  const metrics = {
    seconds: histogram(
      'hazardwatch_rollup_refresh_seconds',
      'Duration of a rollup refresh by this process (plain PostgreSQL)',
      [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    ),
    failures: counter('hazardwatch_rollup_refresh_failures_total', 'Rollup refreshes that failed (retried next period)'),
    // Set after each refresh this process does: how far the rollup was behind the wall clock then.
    lag: gauge('hazardwatch_rollup_lag_seconds', 'Wall clock minus the rollup watermark after the last refresh by this process'),
  };

  const job = periodic(settings.intervalMs, () =>
    refreshRollups(pool, settings, now()).then(
      (r) => {
        if (r.status === 'refreshed') {
          metrics.seconds.observe(r.ms / 1000);
          metrics.lag.set((now() - r.rolledToMs) / 1000);
        }
        if (r.status === 'timescale') {
          log.info('TimescaleDB: continuous aggregates serve the rollups; refresher idle');
          return 'idle' as const;
        }
        if (r.status === 'refreshed' && (r.steps > 1 || r.ms > 5_000)) log.info({ ...r }, 'rollups refreshed');
        else log.debug({ ...r }, 'rollups refreshed');
        return undefined;
      },
      (err: unknown) => {
        metrics.failures.inc();
        log.warn({ err }, 'rollup refresh failed; trying again next period');
        return undefined;
      },
    ),
  );

  return {
    async start() {
      if (settings.intervalMs <= 0) log.info('ROLLUP_REFRESH_INTERVAL_MS=0: this process does not refresh the rollups');
      job.start();
    },
    stop: job.stop,
  };
}
