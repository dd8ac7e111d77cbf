import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRedisPrefix, freePort, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService } from '../support/ingest-process.js';

describe('npm start (embedded stack)', () => {
  const prefix = testRedisPrefix();
  let dataDir = '';
  afterAll(async () => {
    await dropRedisPrefix(prefix);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, ingests the demo plant, stops cleanly on SIGINT, and starts again on the same data', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hw-start-'));
    const pgPort = await freePort();
    const mqttPort = await freePort();
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      EMBEDDED_MQTT_PORT: String(mqttPort),
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      API_PORT: '0',
    };
    const app = spawnService('services/standalone/src/main.ts', env);
    await waitFor(() => app.output().includes('hazardwatch is running'), { what: 'startup', timeoutMs: 90_000 });
    expect(app.output()).toContain(`mqtt://127.0.0.1:${mqttPort}`);
    expect(app.output()).not.toMatch(/postgres:hazardwatch@/); // the password is never printed

    const db = new pg.Client({ connectionString: `postgres://postgres:hazardwatch@127.0.0.1:${pgPort}/hazardwatch` });
    await db.connect();
    const count = async () => Number((await db.query('SELECT count(*) AS n FROM readings')).rows[0].n);
    // The plant simulator publishes in real time; readings arrive within seconds.
    await waitFor(async () => (await count()) > 20, { what: 'demo readings', timeoutMs: 30_000 });
    const enterprises = (await db.query('SELECT id FROM enterprises ORDER BY id')).rows.length;
    expect(enterprises).toBeGreaterThanOrEqual(3);
    const stored = await count();
    await db.end();

    expect(await app.kill('SIGINT')).toBe(0);
    expect(app.output()).toContain('hazardwatch stopped');

    // Second start: data kept, no re-initialisation.
    const again = spawnService('services/standalone/src/main.ts', env);
    await waitFor(() => again.output().includes('hazardwatch is running'), { what: 'restart', timeoutMs: 90_000 });
    expect(again.output()).not.toContain('initialising embedded PostgreSQL');
    const db2 = new pg.Client({ connectionString: `postgres://postgres:hazardwatch@127.0.0.1:${pgPort}/hazardwatch` });
    await db2.connect();
    expect(Number((await db2.query('SELECT count(*) AS n FROM readings')).rows[0].n)).toBeGreaterThanOrEqual(stored);
    await db2.end();
    expect(await again.kill('SIGTERM')).toBe(0);
  }, 240_000);
});
