import type { SiteFile } from '@hazardwatch/contracts';
import { applySiteFile, type SiteFileResult } from '@hazardwatch/db';
import { createIngest, type Ingest } from '@hazardwatch/ingest';
import { createLogger } from '@hazardwatch/observability';
import { createEvaluateProducer, createRedis, type EvaluateProducer, type Redis } from '@hazardwatch/queue';
import {
  createTestDatabase,
  dropRedisPrefix,
  startMosquitto,
  type TestBroker,
  type TestDatabase,
  testRedisPrefix,
  testRedisUrl,
  uniqueToken,
} from '@hazardwatch/testkit';

export interface IngestStack {
  db: TestDatabase;
  broker: TestBroker;
  redis: Redis;
  prefix: string;
  topicPrefix: string;
  partitions: number;
  site: SiteFileResult;
  ingest: Ingest;
  producer: EvaluateProducer;
  /** Start a fresh ingest (after stopping the previous one) with the same session ids. */
  restartIngest(): Promise<void>;
  dispose(): Promise<void>;
}

export const testLog = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Database + own Mosquitto + Redis prefix + an in-process ingest on the subscriber pool. */
export async function startIngestStack(
  site: SiteFile,
  opts: { partitions?: number; connections?: number; batchMaxRows?: number; batchMaxWaitMs?: number; shareGroup?: string } = {},
): Promise<IngestStack> {
  const db = await createTestDatabase({ timescale: 'off' });
  const broker = await startMosquitto();
  const redis = createRedis(testRedisUrl());
  const prefix = testRedisPrefix();
  const topicPrefix = `t${uniqueToken()}/`;
  const partitions = opts.partitions ?? 4;
  const siteResult = await applySiteFile(db.pool, site);
  const producer = createEvaluateProducer({ connection: redis, prefix, partitions });
  const clientId = `ing-${uniqueToken()}`;
  const make = () =>
    createIngest({
      pool: db.pool,
      producer,
      log: testLog,
      settings: {
        topicPrefix,
        batchMaxRows: opts.batchMaxRows ?? 2000,
        batchMaxWaitMs: opts.batchMaxWaitMs ?? 20,
        maxPayloadBytes: 64 * 1024,
        maxFutureSkewMs: 300_000,
        maxAgeMs: 30 * 86_400_000,
        deadLetterMaxPayloadBytes: 1024,
      },
      transport: { kind: 'mqtt', url: broker.url, clientId, connections: opts.connections ?? 32, shareGroup: opts.shareGroup ?? 'ingest' },
      retry: { minMs: 50, maxMs: 500 },
    });
  const stack: IngestStack = {
    db,
    broker,
    redis,
    prefix,
    topicPrefix,
    partitions,
    site: siteResult,
    ingest: make(),
    producer,
    async restartIngest() {
      await stack.ingest.stop(2_000);
      stack.ingest = make();
      await stack.ingest.start();
    },
    async dispose() {
      await stack.ingest.stop(2_000).catch(() => undefined);
      await producer.close().catch(() => undefined);
      await dropRedisPrefix(prefix).catch(() => undefined);
      redis.disconnect();
      await broker.dispose();
      await db.drop();
    },
  };
  await stack.ingest.start();
  return stack;
}
