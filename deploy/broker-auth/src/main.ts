import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool } from '@hazardwatch/db';
import { createLogger, safeUrl } from '@hazardwatch/observability';
import { z } from 'zod';
import { generateBrokerAuth, type ServiceAccountInput, signalBrokerReload } from './generate.js';

const USAGE = `usage: npm run broker-auth -- --out-dir DIR [options]

Brings Mosquitto's authentication and authorisation to the registry:
  DIR/passwd                  password file (password_file): every terminal with a credential,
                              ingest, the dynsec admin and the gateways; the broker rereads it on SIGHUP
  dynamic security plugin     a role per account: a terminal may publish only under
                              hw/v1/{enterpriseId}/{terminalId}/# and may not subscribe; ingest may
                              subscribe only to $share/{INGEST_SHARE_GROUP}/hw/v1/#
With --broker-url the plugin's state is changed on the running broker over $CONTROL (no
restart; a revoked terminal is disconnected at once); when no broker answers there, or
without --broker-url, DIR/dynamic-security.json is written for the broker's next start.
Reads DATABASE_URL, MQTT_USERNAME, MQTT_PASSWORD (ingest), BROKER_ADMIN_USERNAME,
BROKER_ADMIN_PASSWORD, MQTT_TOPIC_PREFIX, INGEST_SHARE_GROUP.

options:
  --out-dir DIR                     where passwd and dynamic-security.json live (created if missing)
  --broker-url URL                  the running broker (services' listener), e.g. mqtt://mosquitto:1884
  --pid-file FILE                   after a password-file change, send SIGHUP to the pid in FILE (mosquitto's pid_file)
  --gateway NAME:SCOPE:SECRET_FILE  also an account NAME that may publish for enterprise SCOPE (* = all),
                                    its password read from SECRET_FILE (repeatable; simulators, protocol gateways)
  --mode OCTAL                      file mode of the written files (default 600)
  -h, --help                        this text
`;

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

let flags: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      'out-dir': { type: 'string' },
      'broker-url': { type: 'string' },
      'pid-file': { type: 'string' },
      gateway: { type: 'string', multiple: true },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
try {
  flags = parse();
} catch (err) {
  usage((err as Error).message);
}
if (flags.help) usage();
const outDir = flags['out-dir'];
if (!outDir) usage('--out-dir is required');
const mode = flags.mode === undefined ? 0o600 : Number.parseInt(flags.mode, 8);
if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) usage('--mode must be an octal file mode such as 600 or 640');
const brokerUrl = flags['broker-url'];
if (brokerUrl !== undefined && !z.url({ protocol: /^mqtts?$/ }).safeParse(brokerUrl).success) usage('--broker-url must be an mqtt:// or mqtts:// URL');

const AdminEnvSchema = z.object({
  BROKER_ADMIN_USERNAME: z.string().default('hw-broker-admin'),
  BROKER_ADMIN_PASSWORD: z
    .string({ error: 'BROKER_ADMIN_PASSWORD must be set: it is the account broker-auth applies changes with' })
    .min(12, 'BROKER_ADMIN_PASSWORD must be at least 12 characters'),
});
const adminEnv = AdminEnvSchema.safeParse(process.env);
if (!adminEnv.success) usage(adminEnv.error.issues.map((i) => i.message).join('\n'));

const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'broker-auth' });
if (!config.db.url) usage('DATABASE_URL must be set: the terminals and their credentials come from the registry');
if (!config.mqtt.username || !config.mqtt.password) usage("MQTT_USERNAME and MQTT_PASSWORD must be set: they are ingest's broker account");

const services: ServiceAccountInput[] = [
  { role: 'ingest', username: config.mqtt.username, password: config.mqtt.password, shareGroup: config.ingest.shareGroup },
  { role: 'admin', username: adminEnv.data.BROKER_ADMIN_USERNAME, password: adminEnv.data.BROKER_ADMIN_PASSWORD },
];
for (const spec of flags.gateway ?? []) {
  const m = /^([^:]+):([^:]+):(.+)$/.exec(spec);
  if (!m?.[1] || !m[2] || !m[3]) usage(`--gateway ${spec}: expected NAME:SCOPE:SECRET_FILE`);
  const password = (await readFile(m[3], 'utf8')).replace(/\r?\n$/, '');
  if (password.length < 12) usage(`--gateway ${m[1]}: the password in ${m[3]} is shorter than 12 characters`);
  services.push({ role: 'gateway', username: m[1], password, enterpriseId: m[2] });
}

const pool = createPool(config.db.url, { max: 2, applicationName: 'hazardwatch-broker-auth' });
try {
  const result = await generateBrokerAuth({ pool, outDir, services, topicPrefix: config.mqtt.topicPrefix, fileMode: mode, brokerUrl });
  const skippedByReason: Record<string, number> = {};
  for (const s of result.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  log.info(
    {
      db: safeUrl(config.db.url),
      broker: brokerUrl ? safeUrl(brokerUrl) : null,
      outDir,
      terminals: result.terminals,
      skipped: skippedByReason,
      passwordChanged: result.passwordChanged,
      dynsec: result.dynsec,
    },
    'broker authentication and authorisation brought to the registry',
  );
  for (const s of result.skipped.filter((x) => x.reason !== 'no_credential'))
    log.warn({ terminal: s.terminal, terminalId: s.terminalId, reason: s.reason }, 'terminal left out');
  if (result.dynsec.via === 'file' && result.dynsec.reason === 'broker_unreachable')
    log.warn(
      { broker: safeUrl(brokerUrl ?? '') },
      'no broker answered: wrote dynamic-security.json for its next start (a broker that is in fact running keeps its old grants until the next run reaches it)',
    );
  if (result.passwordChanged && flags['pid-file']) {
    log.info({ pid: await signalBrokerReload(flags['pid-file']) }, 'broker told to reread the password file (SIGHUP)');
  } else if (result.passwordChanged && result.dynsec.via === 'control') {
    log.info('the password file changed: SIGHUP the broker (docker compose kill -s SIGHUP mosquitto) so new credentials can log in');
  }
} catch (err) {
  log.fatal({ err }, 'broker-auth failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
