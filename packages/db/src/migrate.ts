import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbError, DbErrorCode } from './errors.js';
import { LOCK_KEYS } from './lock-keys.js';
import type { Pool, PoolClient } from './pool.js';

export type StorageMode = 'timescale' | 'plain';

export interface Migration {
  /** `0003_timeseries_layout`: the order key, recorded once applied. */
  name: string;
  /** Which storage mode the file is for; `any` when it has no variant suffix. */
  variant: StorageMode | 'any';
  sql: string;
  /** `-- hw:no-transaction`: run statement by statement outside a transaction (continuous aggregates need it). */
  transactional: boolean;
}

export interface MigrateResult {
  mode: StorageMode;
  applied: string[];
  skipped: string[];
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
// Serialises concurrent migrators (several replicas starting at once).
const MIGRATION_LOCK_KEY = LOCK_KEYS.migration;

/** Migrations from `.sql` files: `NNNN_name.sql`, or `NNNN_name.plain.sql` / `NNNN_name.timescale.sql` variants. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = /^(\d{4}_[a-z0-9_]+?)(?:\.(plain|timescale))?\.sql$/.exec(file);
    if (!m?.[1]) throw new DbError(DbErrorCode.MigrationFailed, `bad migration file name ${file}`);
    const sql = await readFile(join(dir, file), 'utf8');
    out.push({ name: m[1], variant: (m[2] as StorageMode | undefined) ?? 'any', sql, transactional: !/^--\s*hw:no-transaction/m.test(sql) });
  }
  return out;
}

/**
 * Decide the storage mode. `auto` uses TimescaleDB when the extension can be
 * created (available is not enough: it must also be preloaded), else plain
 * PostgreSQL. A database migrated once keeps its mode.
 */
export async function detectStorageMode(client: PoolClient, want: 'auto' | 'on' | 'off'): Promise<StorageMode> {
  const recorded = await client.query<{ value: string }>(`SELECT value FROM hw_meta WHERE key = 'storage_mode'`);
  if (recorded.rows[0]) return recorded.rows[0].value as StorageMode;
  if (want === 'off') return 'plain';
  const installed = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
  if (installed.rowCount) return 'timescale';
  const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  // Creating the extension when its library is not preloaded makes the server end the
  // connection (FATAL), so try only when shared_preload_libraries names it.
  const preload = await client.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'`);
  const preloaded = /(^|[\s,])timescaledb([\s,]|$)/.test(preload.rows[0]?.setting ?? '');
  let ok = false;
  if (available.rowCount && preloaded) {
    await client.query('SAVEPOINT hw_ts');
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      await client.query('RELEASE SAVEPOINT hw_ts');
      ok = true;
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT hw_ts');
    }
  }
  if (!ok && want === 'on')
    throw new DbError(DbErrorCode.TimescaleUnavailable, 'TIMESCALE=on but the timescaledb extension cannot be created in this database');
  return ok ? 'timescale' : 'plain';
}

/** Split a no-transaction migration into statements (ours never put `;` inside a statement's body). */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/**
 * Apply pending migrations in order, each once, recorded in `hw_migrations`.
 * Running it twice changes nothing. Concurrent runners wait on an advisory lock.
 */
export async function migrate(pool: Pool, opts: { timescale?: 'auto' | 'on' | 'off'; migrations?: Migration[] } = {}): Promise<MigrateResult> {
  const migrations = opts.migrations ?? (await loadMigrations());
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS hw_migrations (name text PRIMARY KEY, variant text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(`CREATE TABLE IF NOT EXISTS hw_meta (key text PRIMARY KEY, value text NOT NULL)`);
    await client.query('BEGIN');
    const mode = await detectStorageMode(client, opts.timescale ?? 'auto');
    await client.query(`INSERT INTO hw_meta (key, value) VALUES ('storage_mode', $1) ON CONFLICT (key) DO NOTHING`, [mode]);
    await client.query('COMMIT');

    const done = new Set((await client.query<{ name: string }>('SELECT name FROM hw_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const m of migrations) {
      if (m.variant !== 'any' && m.variant !== mode) continue;
      if (done.has(m.name)) {
        skipped.push(m.name);
        continue;
      }
      try {
        if (m.transactional) {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query('INSERT INTO hw_migrations (name, variant) VALUES ($1, $2)', [m.name, m.variant]);
          await client.query('COMMIT');
        } else {
          // Each statement is idempotent (IF NOT EXISTS), so a crash halfway is safe to rerun.
          for (const stmt of statements(m.sql)) await client.query(stmt);
          await client.query('INSERT INTO hw_migrations (name, variant) VALUES ($1, $2)', [m.name, m.variant]);
        }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new DbError(DbErrorCode.MigrationFailed, `migration ${m.name} (${m.variant}) failed`, { cause: err });
      }
      applied.push(m.name);
    }
    return { mode, applied, skipped };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** The storage mode recorded by `migrate`. */
export async function storageMode(pool: Pool): Promise<StorageMode> {
  const r = await pool.query<{ value: string }>(`SELECT value FROM hw_meta WHERE key = 'storage_mode'`);
  return r.rows[0]?.value === 'timescale' ? 'timescale' : 'plain';
}

const modes = new WeakMap<Pool, StorageMode>();

/** `storageMode`, asked once per pool: a migrated database keeps its mode for life. */
export async function cachedStorageMode(pool: Pool): Promise<StorageMode> {
  const known = modes.get(pool);
  if (known) return known;
  const mode = await storageMode(pool);
  modes.set(pool, mode);
  return mode;
}
