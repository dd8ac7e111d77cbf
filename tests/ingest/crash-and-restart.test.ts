import { applySiteFile, countReadings } from '@hazardwatch/db';
import {
  createTestDatabase,
  dropRedisPrefix,
  startMosquitto,
  type TestBroker,
  type TestDatabase,
  testRedisPrefix,
  testRedisUrl,
  uniqueToken,
  waitFor,
} from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService } from '../support/ingest-process.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';
import { telemetryStream } from '../support/stream.js';

describe('ingest as its own process: crash and outage of ingest', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let prefix: string;
  let env: Record<string, string>;
  const ent = 'ent-crash';
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    broker = await startMosquitto();
    prefix = testRedisPrefix();
    await applySiteFile(db.pool, smallPlant(ent));
  });
  afterAll(async () => {
    await broker?.dispose();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  it('SIGKILL mid-stream, then restart: no acknowledged message lost, no duplicate row', async () => {
    const topicPrefix = `k${uniqueToken()}/`;
    env = {
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      EVAL_PARTITIONS: '4',
      INGEST_CLIENT_ID: `crash-${uniqueToken()}`,
      INGEST_CONNECTIONS: '32',
      MQTT_TOPIC_PREFIX: topicPrefix,
    };
    let ingest = spawnService('services/ingest/src/main.ts', env);
    await waitFor(() => ingest.output().includes('ingest connected to broker'), { what: 'ingest up', timeoutMs: 20_000 });
    // Ingest's main runs the retention pruner (plain PostgreSQL here): its first pass at start.
    await waitFor(() => ingest.output().includes('"msg":"retention applied"'), { what: 'a retention pass', timeoutMs: 20_000 });
    const { stream, readings } = telemetryStream(topicPrefix, ent, 6000, Date.now() - 3_600_000);
    const publishing = publishAll(broker.url, stream, { connections: 4, window: 50 });
    // Kill while rows are flowing: some batches committed, some in flight.
    await waitFor(async () => (await countReadings(db.pool)) > readings / 5, { what: 'first rows', timeoutMs: 30_000 });
    await ingest.kill('SIGKILL');
    const afterKill = await countReadings(db.pool);
    expect(afterKill).toBeLessThan(readings);
    ingest = spawnService('services/ingest/src/main.ts', env);
    expect(await publishing).toBe(stream.length);
    await waitFor(async () => (await countReadings(db.pool)) >= readings, { what: `all ${readings} readings`, timeoutMs: 60_000 });
    // Give redeliveries a moment: a duplicate would show as a count above the total (primary key forbids it).
    await new Promise((r) => setTimeout(r, 500));
    expect(await countReadings(db.pool)).toBe(readings);
    const dup = await db.pool.query('SELECT point_id, time, count(*) FROM readings GROUP BY 1, 2 HAVING count(*) > 1');
    expect(dup.rowCount).toBe(0);
    await ingest.kill('SIGTERM');
  });

  it('stopped for 10 s while devices keep publishing, then restarted: every message the broker accepted is stored', async () => {
    const topicPrefix = `o${uniqueToken()}/`;
    env = { ...env, MQTT_TOPIC_PREFIX: topicPrefix, INGEST_CLIENT_ID: `off-${uniqueToken()}` };
    let ingest = spawnService('services/ingest/src/main.ts', env);
    await waitFor(() => ingest.output().includes('ingest connected to broker'), { what: 'ingest up', timeoutMs: 20_000 });
    const before = await countReadings(db.pool);
    const { stream, readings } = telemetryStream(topicPrefix, ent, 3000, Date.now() - 7_200_000);
    // First third while ingest runs, then a graceful stop, the rest over 10 s with ingest down.
    const third = Math.floor(stream.length / 3);
    await publishAll(broker.url, stream.slice(0, third));
    expect(await ingest.kill('SIGTERM')).toBe(0);
    const rest = stream.slice(third);
    const slices = 10;
    for (let i = 0; i < slices; i++) {
      await publishAll(broker.url, rest.slice((i * rest.length) / slices, ((i + 1) * rest.length) / slices));
      await new Promise((r) => setTimeout(r, 1000));
    }
    ingest = spawnService('services/ingest/src/main.ts', env);
    await waitFor(async () => (await countReadings(db.pool)) - before >= readings, { what: `all ${readings} readings`, timeoutMs: 60_000 });
    expect((await countReadings(db.pool)) - before).toBe(readings);
    await ingest.kill('SIGTERM');
  });
});
