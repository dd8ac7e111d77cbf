import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool } from '@hazardwatch/db';
import { createLogger, enableDefaultMetrics, safeUrl } from '@hazardwatch/observability';
import { createRedis } from '@hazardwatch/queue';
import { createRulesWorker, rulesWorkerTimings } from './rules-worker.js';

/** `npm run start:rules-worker`: one member of the rules worker pool, against an external database and Redis. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'rules-worker' });
if (!config.db.url) {
  log.fatal('DATABASE_URL must be set to run the rules worker on its own (npm start runs the embedded stack)');
  process.exit(2);
}
enableDefaultMetrics();
const pool = createPool(config.db.url, {
  max: config.db.poolMax,
  applicationName: 'hazardwatch-rules-worker',
  onError: (err) => log.warn({ err }, 'idle database connection lost'),
});
const redisUrl = config.redis.url;
const worker = createRulesWorker({
  pool,
  redis: () => createRedis(redisUrl, { onError: (err) => log.warn({ err }, 'redis connection error') }),
  prefix: config.queue.prefix,
  partitions: config.queue.partitions,
  ...rulesWorkerTimings(config.rulesWorker),
  log,
});
await worker.start();
log.info(
  { db: safeUrl(config.db.url), redis: safeUrl(redisUrl), partitions: config.queue.partitions, serves: config.rulesWorker.partitions ?? 'all' },
  'rules worker running',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    worker
      .stop()
      .then(() => pool.end())
      .catch((err: unknown) => log.error({ err }, 'error while stopping'))
      .finally(() => process.exit(0));
  });
}
