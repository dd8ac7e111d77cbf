import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, latestWriterLive } from '@hazardwatch/queue';
import { runScenario } from '@hazardwatch/simulators';
import { dropRedisPrefix, freePort, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService } from '../support/ingest-process.js';

describe('npm start (embedded stack)', () => {
  const prefix = testRedisPrefix();
  const prefix2 = testRedisPrefix();
  let dataDir = '';
  afterAll(async () => {
    await dropRedisPrefix(prefix);
    await dropRedisPrefix(prefix2);
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

    // The API answers with the admin key printed once, and refuses without it.
    const apiUrl = /API\s+(http:\/\/\S+)\/api\/v1/.exec(app.output())?.[1];
    const adminKey = /Admin API key (\S+)/.exec(app.output())?.[1];
    expect(apiUrl).toBeDefined();
    expect(adminKey).toBeDefined();
    expect((await fetch(`${apiUrl}/api/v1/enterprises`)).status).toBe(401);
    const listed = await fetch(`${apiUrl}/api/v1/enterprises`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain('sd-ht-jinyu-chem');
    expect((await fetch(`${apiUrl}/readyz`)).status).toBe(200);
    // The retention pruner runs at start (and hourly): its pass, with the Redis clear, completed.
    await waitFor(async () => /^hazardwatch_retention_last_success_timestamp_seconds [1-9]/m.test(await (await fetch(`${apiUrl}/metrics`)).text()), {
      what: 'a retention pass',
      timeoutMs: 30_000,
    });

    const db = new pg.Client({ connectionString: `postgres://postgres:hazardwatch@127.0.0.1:${pgPort}/hazardwatch` });
    await db.connect();
    const count = async () => Number((await db.query('SELECT count(*) AS n FROM readings')).rows[0].n);
    // The plant simulator publishes in real time; readings arrive within seconds.
    await waitFor(async () => (await count()) > 20, { what: 'demo readings', timeoutMs: 30_000 });
    const enterprises = (await db.query('SELECT id FROM enterprises ORDER BY id')).rows.length;
    expect(enterprises).toBeGreaterThanOrEqual(3);
    const stored = await count();

    // LATEST_VALUES_REDIS (on by default): ingest vouches for its Redis copy, and the latest route answers from it.
    const redis = createRedis(testRedisUrl());
    try {
      await waitFor(() => latestWriterLive(redis, prefix), { what: 'latest-values writer mark', timeoutMs: 30_000 });
      const latest = await fetch(`${apiUrl}/api/v1/telemetry/latest?enterpriseId=sd-ht-jinyu-chem&view=values`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(latest.status).toBe(200);
      const items = ((await latest.json()) as { items: Array<{ pointId: number; ts: number | null }> }).items;
      expect(items.filter((i) => i.ts !== null).length).toBeGreaterThan(0);
      const newest = await db.query<{ ts: number }>(`SELECT (extract(epoch FROM max(time)) * 1000)::float8 AS ts FROM readings WHERE point_id = $1`, [
        items.find((i) => i.ts !== null)?.pointId,
      ]);
      // Never newer than what is stored (the copy is written after the commit).
      expect(items.find((i) => i.ts !== null)?.ts).toBeLessThanOrEqual(newest.rows[0]?.ts ?? 0);

      await db.end();
      expect(await app.kill('SIGINT')).toBe(0);
      expect(app.output()).toContain('hazardwatch stopped');
      // A stopped ingest no longer vouches for the copy.
      expect(await latestWriterLive(redis, prefix)).toBe(false);
    } finally {
      redis.disconnect();
    }

    // Second start: data kept, no re-initialisation. The demo simulator is off and rule state starts
    // afresh (own queue prefix) so the leak below is the newest data of its detectors: the rules worker
    // skips readings older than what it has already evaluated for a point.
    const again = spawnService('services/standalone/src/main.ts', { ...env, SIMULATOR: 'off', QUEUE_PREFIX: prefix2 });
    await waitFor(() => again.output().includes('hazardwatch is running'), { what: 'restart', timeoutMs: 90_000 });
    expect(again.output()).not.toContain('initialising embedded PostgreSQL');
    expect(again.output()).not.toContain('Admin API key');
    const db2 = new pg.Client({ connectionString: `postgres://postgres:hazardwatch@127.0.0.1:${pgPort}/hazardwatch` });
    await db2.connect();
    expect(Number((await db2.query('SELECT count(*) AS n FROM readings')).rows[0].n)).toBeGreaterThanOrEqual(stored);

    // The whole pipeline in one process: a leak at GD-203 raises the demo rule's alarm, first then second level.
    const leak = await runScenario({ scenario: 'gas-leak', brokerUrl: `mqtt://127.0.0.1:${mqttPort}`, speed: 'max', clientIdPrefix: 'leak' });
    expect(leak.failed).toBe(0);
    const alarm = await waitFor(
      async () =>
        (await db2.query(`SELECT colour, level FROM alarms WHERE rule_id = 'demo-gas-gd-203-lel' AND open`)).rows[0] as
          | { colour: string; level: string }
          | undefined,
      { what: 'gas alarm', timeoutMs: 60_000 },
    );
    expect(alarm).toBeDefined();
    await waitFor(async () => (await db2.query(`SELECT level FROM alarms WHERE rule_id = 'demo-gas-gd-203-lel' AND open`)).rows[0]?.level === 'SECOND', {
      what: 'second level',
      timeoutMs: 60_000,
    });
    // Once the gas is gone the alarm is latched; an operator's reset through the API (decided by the
    // rules worker that holds the latch) closes it.
    const latched = await waitFor(
      async () =>
        (await db2.query(`SELECT id FROM alarms WHERE rule_id = 'demo-gas-gd-203-lel' AND open AND state = 'latched'`)).rows[0] as { id: string } | undefined,
      { what: 'latched alarm', timeoutMs: 60_000 },
    );
    const apiUrl2 = /API\s+(http:\/\/\S+)\/api\/v1/.exec(again.output())?.[1];
    const reset = await fetch(`${apiUrl2}/api/v1/alarms/${encodeURIComponent(latched.id)}/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'smoke test: gas gone' }),
    });
    expect(reset.status).toBe(200);
    expect((await db2.query(`SELECT open, state FROM alarms WHERE id = $1`, [latched.id])).rows[0]).toEqual({ open: false, state: 'normal' });
    await db2.end();
    expect(await again.kill('SIGTERM')).toBe(0);
  }, 240_000);
});
