import { applySiteFile, countReadings, createPool, migrate, type Pool } from '@hazardwatch/db';
import { createIngest } from '@hazardwatch/ingest';
import { createEvaluateProducer, createRedis } from '@hazardwatch/queue';
import {
  dropRedisPrefix,
  type OwnPostgres,
  startMosquitto,
  startOwnPostgres,
  type TestBroker,
  testRedisPrefix,
  testRedisUrl,
  uniqueToken,
  waitFor,
} from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLog } from '../support/ingest-stack.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';
import { telemetryStream } from '../support/stream.js';

describe('ingest: PostgreSQL unavailable mid-stream', () => {
  let pg: OwnPostgres;
  let broker: TestBroker;
  let pool: Pool;
  const prefix = testRedisPrefix();
  beforeAll(async () => {
    pg = await startOwnPostgres();
    broker = await startMosquitto();
    pool = createPool(pg.url, { max: 8 });
    await migrate(pool, { timescale: 'off' });
    await applySiteFile(pool, smallPlant('ent-pgdown'));
  }, 120_000);
  afterAll(async () => {
    await pool?.end().catch(() => undefined);
    await broker?.dispose();
    await pg?.dispose();
    await dropRedisPrefix(prefix);
  });

  it('pauses acknowledging, retries, resumes by itself and loses nothing', async () => {
    const redis = createRedis(testRedisUrl());
    const producer = createEvaluateProducer({ connection: redis, prefix, partitions: 4 });
    const topicPrefix = `d${uniqueToken()}/`;
    const ingest = createIngest({
      pool,
      producer,
      log: testLog,
      settings: {
        topicPrefix,
        batchMaxRows: 2000,
        batchMaxWaitMs: 20,
        maxPayloadBytes: 65536,
        maxFutureSkewMs: 300_000,
        maxAgeMs: 30 * 86_400_000,
        deadLetterMaxPayloadBytes: 1024,
      },
      transport: { kind: 'mqtt', url: broker.url, clientId: `pgdown-${uniqueToken()}`, connections: 32, shareGroup: 'ingest' },
      retry: { minMs: 50, maxMs: 500 },
    });
    await ingest.start();
    const { stream, readings } = telemetryStream(topicPrefix, 'ent-pgdown', 6000, Date.now() - 3_600_000);
    const publishing = publishAll(broker.url, stream, { connections: 4, window: 50 });
    await waitFor(async () => (await countReadings(pool)) > readings / 5, { what: 'first rows', timeoutMs: 30_000 });

    await pg.stop();
    // While the database is down ingest holds acknowledgements and says so.
    await waitFor(() => ingest.state() === 'database_unavailable', { what: 'paused state', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 3000));
    expect(ingest.state()).toBe('database_unavailable');
    expect(ingest.pending()).toBeGreaterThan(0);
    await pg.start();

    expect(await publishing).toBe(stream.length);
    await waitFor(async () => (await countReadings(pool).catch(() => 0)) >= readings, { what: `all ${readings} readings`, timeoutMs: 60_000 });
    expect(await countReadings(pool)).toBe(readings);
    expect(ingest.state()).toBe('running');
    await ingest.stop(2000);
    await producer.close();
    redis.disconnect();
  });
});
