import { loadConfigOrExit } from '@hazardwatch/config';
import { createLogger, enableDefaultMetrics } from '@hazardwatch/observability';
import { createStandalone } from './standalone.js';

/** `npm start`: the whole backend in one process. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'hazardwatch' });
enableDefaultMetrics();
const app = createStandalone(config, log);

let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  log.info('stopping');
  const hardExit = setTimeout(() => process.exit(code || 1), 20_000);
  hardExit.unref();
  app
    .stop()
    .catch((err) => log.error({ err }, 'error while stopping'))
    .finally(() => process.exit(code));
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  const endpoints = await app.start();
  log.info(endpoints, 'hazardwatch is running');
  process.stdout.write(
    [
      '',
      'hazardwatch is running',
      `  MQTT broker   ${endpoints.broker}   (devices publish to hw/v1/{enterpriseId}/{deviceId}/telemetry)`,
      `  PostgreSQL    ${endpoints.database}   (${endpoints.storageMode})`,
      `  Redis         ${endpoints.redis}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (err) {
  log.fatal({ err }, 'could not start');
  stop(1);
}
