import { loadConfigOrExit } from '@hazardwatch/config';
import { createLogger, safeUrl } from '@hazardwatch/observability';
import { migrate } from './migrate.js';
import { createPool } from './pool.js';
import { applyStoragePolicies } from './storage-policies.js';

/** `npm run migrate`: apply migrations and storage policies to DATABASE_URL. */
const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'migrate' });
if (!config.db.url) {
  log.fatal('DATABASE_URL is not set: migrate needs a database');
  process.exit(2);
}
const pool = createPool(config.db.url);
try {
  const result = await migrate(pool, { timescale: config.db.timescale });
  await applyStoragePolicies(pool, config.db);
  log.info({ db: safeUrl(config.db.url), ...result }, 'migrations applied');
} catch (err) {
  log.fatal({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
