import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@hazardwatch/config';
import { createPool } from '@hazardwatch/db';
import { createLogger, safeUrl } from '@hazardwatch/observability';
import { generateBrokerAuth, type ServiceAccountInput } from './generate.js';

const USAGE = `usage: npm run broker-auth -- --out-dir DIR [options]

Writes Mosquitto's password file (DIR/passwd) and ACL file (DIR/acl) from the registry:
every device and vehicle terminal with a credential may publish only under
hw/v1/{enterpriseId}/{terminalId}/#; ingest (MQTT_USERNAME / MQTT_PASSWORD) may read hw/v1/#.
Reads DATABASE_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_TOPIC_PREFIX, INGEST_SHARE_GROUP.

options:
  --out-dir DIR                     where to write passwd and acl (created if missing)
  --pid-file FILE                   after a change, send SIGHUP to the pid in FILE (mosquitto's pid_file):
                                    the broker rereads both files without dropping connections
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

const config = loadConfigOrExit(process.env);
const log = createLogger({ level: config.logLevel, name: 'broker-auth' });
if (!config.db.url) usage('DATABASE_URL must be set: the terminals and their credentials come from the registry');
if (!config.mqtt.username || !config.mqtt.password) usage("MQTT_USERNAME and MQTT_PASSWORD must be set: they are ingest's broker account");

const services: ServiceAccountInput[] = [
  { role: 'ingest', username: config.mqtt.username, password: config.mqtt.password, shareGroup: config.ingest.shareGroup },
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
  const result = await generateBrokerAuth({ pool, outDir, services, topicPrefix: config.mqtt.topicPrefix, fileMode: mode });
  const skippedByReason: Record<string, number> = {};
  for (const s of result.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  log.info(
    { db: safeUrl(config.db.url), outDir, terminals: result.terminals, skipped: skippedByReason, changed: result.changed },
    result.changed ? 'broker password and ACL files written' : 'broker password and ACL files unchanged',
  );
  for (const s of result.skipped.filter((x) => x.reason !== 'no_credential'))
    log.warn({ terminal: s.terminal, terminalId: s.terminalId, reason: s.reason }, 'terminal left out');
  if (result.changed && flags['pid-file']) {
    const pid = Number.parseInt((await readFile(flags['pid-file'], 'utf8')).trim(), 10);
    if (!Number.isInteger(pid) || pid < 1 || pid === process.pid) throw new Error(`no usable broker pid in ${flags['pid-file']}`);
    process.kill(pid, 'SIGHUP');
    log.info({ pid }, 'broker told to reload (SIGHUP)');
  } else if (result.changed) {
    log.info('reload the broker to apply: SIGHUP to mosquitto (docker compose kill -s SIGHUP mosquitto)');
  }
} catch (err) {
  log.fatal({ err }, 'broker-auth failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
