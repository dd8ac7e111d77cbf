import { storageMode } from './migrate.js';
import type { Pool, PoolClient } from './pool.js';
import { pruneRollups } from './repos/rollup.repo.js';

export interface RetentionSettings {
  /** Readings are kept at least 30 days (State Administration of Work Safety Order No. 40). */
  readingsRetentionDays: number;
  /** Positions are kept at least 6 months (JT/T 808 platform rules). */
  positionsRetentionDays: number;
}

/**
 * Make the database's retention match the configuration. On TimescaleDB the
 * retention policies are replaced (so a changed setting takes effect); on plain
 * PostgreSQL nothing is scheduled here: the retention pruner (retention-pruner.ts, run by
 * ingest and the embedded start) calls `deleteExpiredRows` every `RETENTION_PRUNE_INTERVAL_MS`.
 */
export async function applyStoragePolicies(pool: Pool, s: RetentionSettings): Promise<void> {
  if ((await storageMode(pool)) !== 'timescale') return;
  for (const [table, days] of [
    ['readings', s.readingsRetentionDays],
    ['positions', s.positionsRetentionDays],
  ] as const) {
    await pool.query(`SELECT remove_retention_policy($1::regclass, if_exists => TRUE)`, [table]);
    await pool.query(`SELECT add_retention_policy($1::regclass, make_interval(days => $2::int))`, [table, days]);
  }
}

/**
 * Plain PostgreSQL retention: delete rows older than the configured age, and the rollup buckets
 * that end before it, in bounded slices so a long backlog never holds one huge transaction.
 * Returns the rows deleted. Plain PostgreSQL only (the caller checks the storage mode: on
 * TimescaleDB the policies drop whole chunks); on any connection: the retention pruner runs it
 * on the client that holds its lock, so a pool of one connection cannot wait on itself.
 */
export async function deleteExpiredRows(db: Pool | PoolClient, s: RetentionSettings, sliceRows = 50_000): Promise<number> {
  let total = 0;
  for (const [table, key, days] of [
    ['readings', 'point_id', s.readingsRetentionDays],
    ['positions', 'vehicle_id', s.positionsRetentionDays],
  ] as const) {
    for (;;) {
      const r = await db.query(
        `DELETE FROM ${table} WHERE (${key}, time) IN (SELECT ${key}, time FROM ${table} WHERE time < now() - make_interval(days => $1::int) LIMIT $2)`,
        [days, sliceRows],
      );
      total += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < sliceRows) break;
    }
  }
  // The per-minute / per-hour rollups of the pruned readings go with them.
  return total + (await pruneRollups(db, s.readingsRetentionDays, sliceRows));
}
