import { createPool, migrate, type Pool, type StorageMode } from '@hazardwatch/db';
import pg from 'pg';
import { uniqueToken } from './ids.js';

/** Admin connection of the test PostgreSQL (local service here; a TimescaleDB container where Docker exists). */
export function adminDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  url: string;
  name: string;
  pool: Pool;
  mode: StorageMode;
  /** Close the pool and drop the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, so suites can run in parallel. */
export async function createTestDatabase(opts: { timescale?: 'auto' | 'on' | 'off'; adminUrl?: string; migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = opts.adminUrl ?? adminDatabaseUrl();
  const name = `hw_t_${uniqueToken()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = createPool(url, { max: 10 });
  const mode = opts.migrate === false ? 'plain' : (await migrate(pool, { timescale: opts.timescale ?? 'off' })).mode;
  return {
    url,
    name,
    pool,
    mode,
    async drop() {
      await pool.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
