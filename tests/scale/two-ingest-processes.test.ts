import { applySiteFile, countReadings } from '@hazardwatch/db';
import { createRedis } from '@hazardwatch/queue';
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
import { readEvaluateJobs } from '../support/evaluate-jobs.js';
import { spawnService } from '../support/ingest-process.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';
import { telemetryStream } from '../support/stream.js';

describe('scale-out: two ingest processes on one shared subscription', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  const prefix = testRedisPrefix();
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    broker = await startMosquitto();
    await applySiteFile(db.pool, smallPlant('ent-two'));
  });
  afterAll(async () => {
    await broker?.dispose();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  it('split the load between them and together store every message exactly once', async () => {
    const topicPrefix = `s${uniqueToken()}/`;
    const common = {
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      EVAL_PARTITIONS: '4',
      INGEST_CONNECTIONS: '16',
      INGEST_SHARE_GROUP: 'ingest',
      MQTT_TOPIC_PREFIX: topicPrefix,
    };
    const a = spawnService('services/ingest/src/main.ts', { ...common, INGEST_CLIENT_ID: `a-${uniqueToken()}` });
    const b = spawnService('services/ingest/src/main.ts', { ...common, INGEST_CLIENT_ID: `b-${uniqueToken()}` });
    try {
      await waitFor(() => a.output().includes('ingest connected') && b.output().includes('ingest connected'), { what: 'both ingests up', timeoutMs: 30_000 });
      const { stream, readings } = telemetryStream(topicPrefix, 'ent-two', 4000, Date.now() - 3_600_000);
      expect(await publishAll(broker.url, stream, { connections: 4, window: 50 })).toBe(stream.length);
      await waitFor(async () => (await countReadings(db.pool)) >= readings, { what: `all ${readings} readings`, timeoutMs: 60_000 });
      expect(await countReadings(db.pool)).toBe(readings);

      // Job ids are `{instance}-{batch}-{partition}`, the instance random per process: two instances → both took work.
      const redis = createRedis(testRedisUrl());
      const jobs = await readEvaluateJobs(redis, prefix, 4);
      redis.disconnect();
      const byInstance = new Map<string, number>();
      for (const j of jobs) {
        const instance = j.batchId.split('-')[0] ?? '';
        byInstance.set(instance, (byInstance.get(instance) ?? 0) + j.readings.length);
      }
      expect(byInstance.size).toBe(2);
      for (const n of byInstance.values()) expect(n).toBeGreaterThan(readings * 0.2);
      expect([...byInstance.values()].reduce((x, y) => x + y, 0)).toBe(readings);
    } finally {
      await a.kill('SIGTERM');
      await b.kill('SIGTERM');
    }
  });
});
