import { LOCK_KEYS } from '../lock-keys.js';
import type { Pool, PoolClient } from '../pool.js';

/**
 * The per-minute / per-hour rollup of `readings` on plain PostgreSQL (migration 0009):
 * what the refresher writes, what ingest records for late readings, what retention drops.
 * TimescaleDB has continuous aggregates instead and none of these tables.
 */

/** Held shared by every ingest commit, exclusively by the refresher while it raises `invalidate_below`. */
const INGEST_FENCE_LOCK_KEY = LOCK_KEYS.ingestFence;
/** Held (session) by the one process refreshing at a time. */
export const ROLLUP_REFRESH_LOCK_KEY = LOCK_KEYS.rollupRefresh;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

/**
 * Open ingest's transaction and learn below which time a reading must be recorded as a
 * pending minute. One simple-protocol round trip, as the plain `BEGIN` was: the shared lock is
 * taken before the watermark is read (a later statement, so a later snapshot), so the refresher,
 * which raises the watermark under the exclusive lock, waits for every commit that read the old one.
 * Returns null before the first refresh (nothing is rolled up: nothing can be late).
 */
export async function beginWithRollupFence(client: PoolClient): Promise<number | null> {
  const results = (await client.query(
    `BEGIN; SELECT pg_advisory_xact_lock_shared(${INGEST_FENCE_LOCK_KEY}); SELECT ${ms('invalidate_below')} AS ms FROM readings_rollup_state`,
  )) as unknown as Array<{ rows: Array<{ ms: number | null }> }>;
  return results[2]?.rows[0]?.ms ?? null;
}

/** Record minutes that received readings after they were (or may have been) rolled up. */
export async function recordPendingMinutes(client: PoolClient, pointIds: number[], minutesMs: number[]): Promise<void> {
  await client.query({
    name: 'hw_rollup_pending',
    text: `INSERT INTO readings_rollup_pending (point_id, minute) SELECT p, to_timestamp(m / 1000.0) FROM unnest($1::int4[], $2::float8[]) AS u(p, m)`,
    values: [pointIds, minutesMs],
  });
}

export interface RollupState {
  /** The rollups are complete below this time (epoch ms); null before the first refresh. */
  rolledToMs: number | null;
  /** Ingest records pending minutes for readings older than this (epoch ms). */
  invalidateBelowMs: number | null;
  pending: number;
}

export async function rollupState(db: Pool | PoolClient): Promise<RollupState> {
  const r = await db.query<{ rolled: number | null; inval: number | null; pending: string }>(
    `SELECT ${ms('rolled_to')} AS rolled, ${ms('invalidate_below')} AS inval, (SELECT count(*) FROM readings_rollup_pending) AS pending
       FROM readings_rollup_state`,
  );
  const row = r.rows[0];
  return { rolledToMs: row?.rolled ?? null, invalidateBelowMs: row?.inval ?? null, pending: Number(row?.pending ?? 0) };
}

/**
 * Raise `invalidate_below` to `targetMs` (never lower it) under the exclusive fence lock: it waits
 * for the ingest commits in flight (which read the old value) and holds new ones back for the
 * moment of the update. Returns the watermark now in force.
 */
export async function raiseInvalidationWatermark(client: PoolClient, targetMs: number, lockTimeoutMs: number): Promise<number> {
  await client.query('BEGIN');
  try {
    // A commit stuck for longer must not stall ingest behind our queued request: give up, retry next cycle.
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
    await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_FENCE_LOCK_KEY]);
    const r = await client.query<{ ms: number }>(
      `UPDATE readings_rollup_state SET invalidate_below = greatest(invalidate_below, to_timestamp($1 / 1000.0)) RETURNING ${ms('invalidate_below')} AS ms`,
      [targetMs],
    );
    await client.query('COMMIT');
    const now = r.rows[0]?.ms;
    if (now === undefined) throw new Error('readings_rollup_state has no row');
    return now;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Summarize the block ranges of the BRIN indexes on `readings.time` and on the minute rollup's
 * bucket that were filled since the last summary: the refresher's range scans (minutes from
 * readings, hours from minutes) go through them, and an unsummarized range matches every query
 * (autovacuum summarizes only when it vacuums, which for an insert-only table is after a fifth
 * of the table's size of new rows). Gives up after `lockTimeoutMs` rather than wait
 * for (or cancel) an autovacuum of the table. Returns whether it ran.
 */
export async function summarizeNewReadingRanges(client: PoolClient, lockTimeoutMs: number): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
    await client.query(
      `SELECT brin_summarize_new_values('readings_time_brin'::regclass), brin_summarize_new_values('readings_rollup_1m_bucket_brin'::regclass)`,
    );
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: unknown }).code === '55P03') return false; // lock_not_available
    throw err;
  }
}

export interface RollupStepResult {
  /** The range rolled up in this step, epoch ms [from, to); equal when only pending minutes were redone. */
  fromMs: number;
  toMs: number;
  minuteRows: number;
  pendingClaimed: number;
}

/**
 * One transaction of the refresher: aggregate the minutes in [rolled_to, min(rolled_to + maxSpan,
 * target)) from `readings`, redo up to `claimLimit` pending minutes below the new watermark, derive
 * the hours completed or touched from the minute rows, and move `rolled_to`. Idempotent (upserts of
 * the same aggregates). Before the first step `rolled_to` starts at the minute of the oldest reading.
 */
export async function rollupStep(client: PoolClient, q: { targetMs: number; maxSpanMs: number; claimLimit: number }): Promise<RollupStepResult> {
  await client.query('BEGIN');
  try {
    const state = await client.query<{ rolled: number | null }>(`SELECT ${ms('rolled_to')} AS rolled FROM readings_rollup_state FOR UPDATE`);
    let fromMs = state.rows[0]?.rolled ?? null;
    if (fromMs === null) {
      // The oldest reading, by two index probes per point (a loose scan of the primary key):
      // min(time) over the whole table would read all of it.
      const oldest = await client.query<{ ms: number | null }>(
        `WITH RECURSIVE p AS (
           (SELECT point_id FROM readings ORDER BY point_id LIMIT 1)
           UNION ALL
           SELECT (SELECT r.point_id FROM readings r WHERE r.point_id > p.point_id ORDER BY r.point_id LIMIT 1) FROM p WHERE p.point_id IS NOT NULL)
         SELECT ${ms(`min((SELECT r.time FROM readings r WHERE r.point_id = p.point_id ORDER BY r.time LIMIT 1))`)} AS ms
           FROM p WHERE p.point_id IS NOT NULL`,
      );
      const oldestMs = oldest.rows[0]?.ms ?? null;
      fromMs = oldestMs === null ? q.targetMs : Math.min(q.targetMs, Math.floor(oldestMs / MINUTE_MS) * MINUTE_MS);
    }
    const toMs = Math.max(fromMs, Math.min(fromMs + q.maxSpanMs, q.targetMs));
    let minuteRows = 0;
    if (toMs > fromMs) {
      const r = await client.query(
        `INSERT INTO readings_rollup_1m (point_id, bucket, sum, min, max, last, samples)
         SELECT point_id, date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ 'epoch'), sum(value), min(value), max(value),
                (array_agg(value ORDER BY time DESC))[1], count(*)
           FROM readings WHERE time >= to_timestamp($1 / 1000.0) AND time < to_timestamp($2 / 1000.0)
          GROUP BY 1, 2
         ON CONFLICT (point_id, bucket) DO UPDATE
           SET sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max, last = EXCLUDED.last, samples = EXCLUDED.samples`,
        [fromMs, toMs],
      );
      minuteRows = r.rowCount ?? 0;
    }
    // Claimed in a later statement than the range aggregate: the readings of every claimed row
    // are visible to the statements below (they committed with it).
    const claimed = await client.query<{ point_id: number; m: number }>(
      `DELETE FROM readings_rollup_pending WHERE ctid IN (SELECT ctid FROM readings_rollup_pending WHERE minute < to_timestamp($1 / 1000.0) LIMIT $2)
       RETURNING point_id, ${ms('minute')} AS m`,
      [toMs, q.claimLimit],
    );
    const pendingClaimed = claimed.rowCount ?? 0;
    const seen = new Set<string>();
    const pids: number[] = [];
    const mins: number[] = [];
    for (const row of claimed.rows) {
      const key = `${row.point_id}:${row.m}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pids.push(row.point_id);
      mins.push(row.m);
    }
    if (pids.length > 0) {
      // Deleted first: a minute whose readings are all gone (retention) must not keep its old row.
      await client.query(
        `DELETE FROM readings_rollup_1m m USING unnest($1::int4[], $2::float8[]) AS c(p, t) WHERE m.point_id = c.p AND m.bucket = to_timestamp(c.t / 1000.0)`,
        [pids, mins],
      );
      await client.query(
        `INSERT INTO readings_rollup_1m (point_id, bucket, sum, min, max, last, samples)
         SELECT r.point_id, c.b, sum(r.value), min(r.value), max(r.value), (array_agg(r.value ORDER BY r.time DESC))[1], count(*)
           FROM (SELECT p, to_timestamp(t / 1000.0) AS b FROM unnest($1::int4[], $2::float8[]) AS u(p, t)) c
           JOIN readings r ON r.point_id = c.p AND r.time >= c.b AND r.time < c.b + INTERVAL '1 minute'
          GROUP BY r.point_id, c.b`,
        [pids, mins],
      );
    }
    // Hours: those completed by this step's range, and those of redone minutes that are complete.
    // Their sums add the minutes in time order, so the same minutes always give the same bits.
    const hourFrom = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
    const hourTo = Math.floor(toMs / HOUR_MS) * HOUR_MS;
    if (hourTo > hourFrom)
      await client.query(
        `INSERT INTO readings_rollup_1h (point_id, bucket, sum, min, max, last, samples)
         SELECT point_id, date_bin(INTERVAL '1 hour', bucket, TIMESTAMPTZ 'epoch'), sum(sum ORDER BY bucket), min(min), max(max),
                (array_agg(last ORDER BY bucket DESC))[1], sum(samples)
           FROM readings_rollup_1m WHERE bucket >= to_timestamp($1 / 1000.0) AND bucket < to_timestamp($2 / 1000.0)
          GROUP BY 1, 2
         ON CONFLICT (point_id, bucket) DO UPDATE
           SET sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max, last = EXCLUDED.last, samples = EXCLUDED.samples`,
        [hourFrom, hourTo],
      );
    const hourKeys = new Set<string>();
    const hp: number[] = [];
    const hh: number[] = [];
    pids.forEach((p, i) => {
      const h = Math.floor((mins[i] ?? 0) / HOUR_MS) * HOUR_MS;
      // Hours in [hourFrom, hourTo) were just derived above; hours from hourTo on are not complete yet.
      if (h >= hourTo || (h >= hourFrom && h < hourTo) || hourKeys.has(`${p}:${h}`)) return;
      hourKeys.add(`${p}:${h}`);
      hp.push(p);
      hh.push(h);
    });
    if (hp.length > 0) {
      await client.query(
        `DELETE FROM readings_rollup_1h h USING unnest($1::int4[], $2::float8[]) AS c(p, t) WHERE h.point_id = c.p AND h.bucket = to_timestamp(c.t / 1000.0)`,
        [hp, hh],
      );
      await client.query(
        `INSERT INTO readings_rollup_1h (point_id, bucket, sum, min, max, last, samples)
         SELECT m.point_id, c.b, sum(m.sum ORDER BY m.bucket), min(m.min), max(m.max), (array_agg(m.last ORDER BY m.bucket DESC))[1], sum(m.samples)
           FROM (SELECT p, to_timestamp(t / 1000.0) AS b FROM unnest($1::int4[], $2::float8[]) AS u(p, t)) c
           JOIN readings_rollup_1m m ON m.point_id = c.p AND m.bucket >= c.b AND m.bucket < c.b + INTERVAL '1 hour'
          GROUP BY m.point_id, c.b`,
        [hp, hh],
      );
    }
    await client.query(`UPDATE readings_rollup_state SET rolled_to = to_timestamp($1 / 1000.0), refreshed_at = now()`, [toMs]);
    await client.query('COMMIT');
    return { fromMs, toMs, minuteRows, pendingClaimed };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** `rolled_to` as epoch ms (null before the first refresh): readers take rollup rows below it. */
export async function rolledToMs(db: Pool | PoolClient): Promise<number | null> {
  const r = await db.query<{ ms: number | null }>(`SELECT ${ms('rolled_to')} AS ms FROM readings_rollup_state`);
  return r.rows[0]?.ms ?? null;
}

/**
 * Retention of the rollups: drop buckets that end at or before the cutoff (a bucket straddling
 * it keeps its aggregate of readings already pruned, as TimescaleDB's aggregates do), and pending
 * minutes older than it. In slices of `sliceRows`. Returns the rows deleted.
 */
export async function pruneRollups(pool: Pool | PoolClient, readingsRetentionDays: number, sliceRows: number): Promise<number> {
  let total = 0;
  for (const [table, width] of [
    ['readings_rollup_1m', '1 minute'],
    ['readings_rollup_1h', '1 hour'],
  ] as const) {
    for (;;) {
      const r = await pool.query(
        `DELETE FROM ${table} WHERE (point_id, bucket) IN (
           SELECT point_id, bucket FROM ${table} WHERE bucket <= now() - make_interval(days => $1::int) - INTERVAL '${width}' LIMIT $2)`,
        [readingsRetentionDays, sliceRows],
      );
      total += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < sliceRows) break;
    }
  }
  const p = await pool.query(`DELETE FROM readings_rollup_pending WHERE minute <= now() - make_interval(days => $1::int) - INTERVAL '1 minute'`, [
    readingsRetentionDays,
  ]);
  return total + (p.rowCount ?? 0);
}
