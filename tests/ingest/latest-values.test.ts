import { applySiteFile, latestOfPoints } from '@hazardwatch/db';
import { type AedesLike, createIngest } from '@hazardwatch/ingest';
import { createLogger } from '@hazardwatch/observability';
import { createEvaluateProducer, createRedis, readLatest } from '@hazardwatch/queue';
import { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';
import { createTestDatabase, dropRedisPrefix, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { expect, it } from 'vitest';

// Ingest → Redis copy of the latest values, through the real batcher (embedded-broker hook, no MQTT hop).
it('ingest writes the newest stored reading of each point to Redis after the acknowledgement, never an older one', async () => {
  const db = await createTestDatabase({ timescale: 'off' });
  const redis = createRedis(testRedisUrl());
  const latestRedis = createRedis(testRedisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const prefix = testRedisPrefix();
  const producer = createEvaluateProducer({ connection: redis, prefix, partitions: 2 });
  const broker: AedesLike = {};
  const ingest = createIngest({
    pool: db.pool,
    producer,
    log: createLogger({ level: 'silent' }),
    settings: {
      topicPrefix: '',
      batchMaxRows: 2000,
      batchMaxWaitMs: 10,
      maxPayloadBytes: 64 * 1024,
      maxFutureSkewMs: 300_000,
      maxAgeMs: 30 * 86_400_000,
      deadLetterMaxPayloadBytes: 1024,
    },
    transport: { kind: 'aedes', broker },
    latestValues: { redis: latestRedis, prefix },
  });
  try {
    if (latestRedis.status !== 'ready') await new Promise((r) => latestRedis.once('ready', r));
    await applySiteFile(db.pool, buildLoadSite({ devices: 1, channels: 2, rateHz: 1 }));
    await ingest.start();
    const topic = `hw/v1/${LOAD_SITE_IDS.enterpriseId}/${loadDeviceId(0)}/telemetry`;
    const publish = (ts: number, c0: number, c1: number) =>
      new Promise<void>((resolve, reject) => {
        const payload = Buffer.from(JSON.stringify({ ts, values: { c0, c1 } }));
        broker.authorizePublish?.({ id: 'dev' }, { topic, payload, qos: 1 }, (err) => (err ? reject(err) : resolve()));
      });
    const now = Date.now();
    // Newer first, then a late (older) message, then one out of range (stored as nothing).
    await publish(now - 1_000, 10, 20);
    await publish(now - 5_000, 1, 2);
    await publish(now - 500, 5000, 21);
    const expected = await latestOfPoints(db.pool, { kind: 'all' }, { enterpriseId: LOAD_SITE_IDS.enterpriseId });
    expect(expected.map((p) => [p.ts, p.value])).toEqual([
      [now - 1_000, 10],
      [now - 500, 21],
    ]);
    const ids = expected.map((p) => p.pointId);
    const got = await waitFor(async () => {
      const tails = await readLatest(latestRedis, prefix, ids);
      return tails.every((t) => t !== undefined) && tails[1]?.startsWith(`${now - 500},`) ? tails : null;
    });
    expect(got.map((t, i) => JSON.parse(`{"pointId":${ids[i]},"ts":${t}}`))).toEqual(
      expected.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })),
    );
  } finally {
    await ingest.stop(2_000);
    await producer.close();
    redis.disconnect();
    latestRedis.disconnect();
    await dropRedisPrefix(prefix);
    await db.drop();
  }
});
