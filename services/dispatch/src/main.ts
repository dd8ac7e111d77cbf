import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool, createSecretBox } from '@hazardwatch/db';
import { createLogger, enableDefaultMetrics, safeUrl } from '@hazardwatch/observability';
import { createRedis } from '@hazardwatch/queue';
import { createDispatch } from './dispatch.js';

/** `npm run start:dispatch`: dispatch alone, against an external database and Redis. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'dispatch' });
const settings = config.dispatch;
if (!config.db.url) {
  log.fatal('DATABASE_URL must be set to run dispatch on its own (npm start runs the embedded stack)');
  process.exit(2);
}
enableDefaultMetrics();
const secrets = createSecretBox({ key: settings.secretKey, previousKeys: settings.previousSecretKeys });
if (secrets.keyId === 'plain') log.warn('DISPATCH_SECRET_KEY is not set: target signing secrets are stored unencrypted');
const pool = createPool(config.db.url, {
  max: config.db.poolMax,
  applicationName: 'hazardwatch-dispatch',
  onError: (err) => log.warn({ err }, 'idle database connection lost'),
});
const redis = createRedis(config.redis.url, { onError: (err) => log.warn({ err }, 'redis connection error') });
const dispatch = createDispatch({ pool, redis, prefix: config.queue.prefix, settings, secrets, log });
await dispatch.start();
log.info({ db: safeUrl(config.db.url), redis: safeUrl(config.redis.url), prefix: config.queue.prefix }, 'dispatch running');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    dispatch
      .stop()
      .then(() => redis.quit())
      .then(() => pool.end())
      .catch((err) => log.error({ err }, 'error while stopping'))
      .finally(() => process.exit(0));
  });
}
