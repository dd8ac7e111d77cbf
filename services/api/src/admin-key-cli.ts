import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool } from '@hazardwatch/db';
import { createApiKey } from './auth/keys.js';

/**
 * `npm run -w @hazardwatch/api create-admin-key -- "<name>"`: a new admin key straight in the
 * database, for when no admin key is left (all revoked, expired or lost). Needs DATABASE_URL.
 * Prints the key once; only its hash is stored. Expires in a year like any other key.
 */
const config = loadConfigOrExit(process.env);
if (!config.db.url) {
  process.stderr.write('DATABASE_URL must be set (the database the API uses)\n');
  process.exit(2);
}
const name = process.argv[2] ?? 'admin (created from the command line)';
const pool = createPool(config.db.url, { max: 1, applicationName: 'hazardwatch-admin-key' });
try {
  const { record, key } = await createApiKey(pool, { role: 'admin', name }, { createdBy: 'cli', nowMs: Date.now() });
  process.stdout.write(`Admin API key ${record.id} (shown once, store it now): ${key}\n`);
} finally {
  await pool.end();
}
