import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool, createRetentionPruner, createRollupRefresher } from '@hazardwatch/db';
import { createLogger, enableDefaultMetrics, safeUrl } from '@hazardwatch/observability';
import { clearLatestOlderThan, createEvaluateProducer, createRedis } from '@hazardwatch/queue';
import { createIngest } from './ingest.js';

/** `npm run start:ingest`: ingest alone, against an external broker, database and Redis. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'ingest' });
if (!config.db.url || !config.mqtt.url) {
  log.fatal('DATABASE_URL and MQTT_URL must be set to run ingest on its own (npm start runs the embedded stack)');
  process.exit(2);
}
enableDefaultMetrics();
const pool = createPool(config.db.url, {
  max: config.db.poolMax,
  applicationName: 'hazardwatch-ingest',
  onError: (err) => log.warn({ err }, 'idle database connection lost'),
});
const redis = createRedis(config.redis.url, { onError: (err) => log.warn({ err }, 'redis connection error') });
const producer = createEvaluateProducer({ connection: redis, prefix: config.queue.prefix, partitions: config.queue.partitions });
// The latest values for the API (LATEST_VALUES_REDIS), written after the acknowledgements: a
// connection that never queues while Redis is away, so a write fails at once and is retried later.
const latestRedis = config.redis.latestValues
  ? createRedis(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
      onError: (err) => log.warn({ err }, 'redis (latest values) connection error'),
    })
  : undefined;
const ingest = createIngest({
  pool,
  producer,
  log,
  ...(latestRedis ? { latestValues: { redis: latestRedis, prefix: config.queue.prefix } } : {}),
  settings: { ...config.ingest, topicPrefix: config.mqtt.topicPrefix },
  transport: {
    kind: 'mqtt',
    url: config.mqtt.url,
    username: config.mqtt.username,
    password: config.mqtt.password,
    clientId: config.ingest.clientId,
    connections: config.ingest.connections,
    shareGroup: config.ingest.shareGroup,
  },
});
await ingest.start();
// Plain PostgreSQL's chart rollup, refreshed beside ingest but never inside its commit (one
// refresher at a time across replicas; idle on TimescaleDB).
const rollups = createRollupRefresher({ pool, log, settings: config.rollup });
await rollups.start();
// Retention on plain PostgreSQL (TimescaleDB's policies drop chunks) and of the Redis copy of
// latest values, beside ingest like the rollup: one pruner at a time across replicas.
const retention = createRetentionPruner({
  pool,
  log,
  retention: config.db,
  intervalMs: config.retention.intervalMs,
  ...(latestRedis ? { latestValues: { clearOlderThan: (cutoffMs: number) => clearLatestOlderThan(latestRedis, config.queue.prefix, cutoffMs) } } : {}),
});
await retention.start();
log.info({ broker: safeUrl(config.mqtt.url), db: safeUrl(config.db.url) }, 'ingest running');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    ingest
      .stop()
      .then(() => rollups.stop())
      .then(() => retention.stop())
      .then(() => producer.close())
      .then(() => redis.quit())
      .then(() => latestRedis?.quit())
      .then(() => pool.end())
      .catch((err) => log.error({ err }, 'error while stopping'))
      .finally(() => process.exit(0));
  });
}
