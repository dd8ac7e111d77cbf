import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool } from '@hazardwatch/db';
import { createLogger, enableDefaultMetrics, runAll, safeUrl } from '@hazardwatch/observability';
import { createRedis } from '@hazardwatch/queue';
import { ensureAdminKey } from './auth/keys.js';
import { createApi } from './create-api.js';
import { brokerProbe } from './probes.js';

/** `npm run start:api`: the API alone, against an external (migrated) database, Redis and broker. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'api' });
if (!config.db.url) {
  log.fatal('DATABASE_URL must be set to run the API on its own (npm start runs the embedded stack)');
  process.exit(2);
}
enableDefaultMetrics();
const pool = createPool(config.db.url, {
  max: config.db.poolMax,
  applicationName: 'hazardwatch-api',
  onError: (err) => log.warn({ err }, 'idle database connection lost'),
});
const redis = createRedis(config.redis.url, { lazyConnect: true, onError: (err) => log.warn({ err }, 'redis connection error') });
// Latch resets go through the rules workers' partition queues. Not lazy: BullMQ on a lazy
// connection to an unreachable Redis fails with a stray rejection instead of waiting for it.
const queueRedis = createRedis(config.redis.url, { onError: (err) => log.warn({ err }, 'redis (queues) connection error') });
// Rate-limit counters shared by the replicas (and the latest values' reads). Its own connection, which never queues while
// Redis is away: a check then fails at once and the per-process counters decide (rate-limit-store.ts).
const rateLimitRedis = createRedis(config.redis.url, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  onError: (err) => log.warn({ err }, 'redis (rate limits) connection error'),
});
const api = createApi({
  pool,
  log,
  redis,
  rateLimits: { redis: rateLimitRedis, prefix: config.queue.prefix },
  // Ingest's Redis copy of the latest values (LATEST_VALUES_REDIS); the same never-queuing connection.
  ...(config.redis.latestValues ? { latestValues: { redis: rateLimitRedis, prefix: config.queue.prefix } } : {}),
  latchReset: { connection: queueRedis, prefix: config.queue.prefix, partitions: config.queue.partitions },
  config: { host: config.api.host, port: config.api.port },
  ...(config.mqtt.url ? { readiness: { broker: brokerProbe(config.mqtt.url) } } : {}),
});
const admin = await ensureAdminKey(pool);
const url = await api.start();
log.info({ url, db: safeUrl(config.db.url) }, 'api running');
// Shown once, on the first start only; only its hash is stored. Not logged: logs are shipped.
if (admin) process.stdout.write(`\nAdmin API key (shown once, store it now): ${admin.key}\n\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    runAll([() => api.stop(), () => redis.quit(), () => queueRedis.quit(), () => rateLimitRedis.quit(), () => pool.end()])
      .catch((err) => log.error({ err }, 'error while stopping'))
      .finally(() => process.exit(0));
  });
}
