import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SimulatorError } from './errors.js';
import { ScenarioNameSchema, TopicPrefixSchema } from './scenario-definition.js';

/** A bad command line; the CLI prints the message and the usage and exits with code 2. */
export class CliUsageError extends SimulatorError {
  constructor(readonly issues: readonly string[]) {
    super('HW_SIM_CLI_USAGE', issues.join('\n'));
  }
}

/** The usage text of `npm run sim`. */
export const CLI_USAGE = `usage: npm run sim -- <scenario> [options]

scenarios: ${ScenarioNameSchema.options.join(', ')}

options:
  --devices N         load: number of devices (default 100)
  --channels N        load: channels per message, 8 dense / 1 sparse (default 8)
  --rate HZ           load: samples per device per second (default 1); vehicles: positions per second (default 1)
  --duration S        simulated seconds (default per scenario; 0 = until Ctrl-C, plant and load only)
  --speed X|max       simulated seconds per real second (default 1 for plant, max for the others)
  --qos 0|1           MQTT QoS (default 1)
  --broker URL        MQTT broker (default $MQTT_URL or mqtt://127.0.0.1:1883)
  --seed N            PRNG seed: same seed, same stream (default 1)
  --topic-prefix P    prefix every topic, e.g. test-1/ (default $MQTT_TOPIC_PREFIX or none)
  --site FILE         custom site file (YAML or JSON) instead of the bundled one
  --load-site         put the scenario's site into the registry first (needs DATABASE_URL)
  --connections N     MQTT connections (default one per device, at most 64)
  --window N          most unacknowledged publishes at once (default 1000)
  --no-status         no retained online/offline status messages and no last wills
  --json              print the summary as JSON
  -h, --help          this text
`;

const count = (min: number, max: number) => z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));
const decimal = (max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(0).max(max));

/** The flags, as strings from the command line, validated and converted. */
export const CliFlagsSchema = z
  .object({
    scenario: ScenarioNameSchema,
    devices: count(1, 100_000).optional(),
    channels: count(1, 256).optional(),
    rate: decimal(1000).pipe(z.number().positive('must be above 0')).optional(),
    duration: decimal(30 * 86400).optional(),
    speed: z.union([z.literal('max'), decimal(1_000_000).pipe(z.number().positive('must be above 0'))]).optional(),
    qos: z
      .enum(['0', '1'])
      .transform((q) => (q === '1' ? 1 : 0))
      .optional(),
    broker: z
      .string()
      .url('must be a URL like mqtt://host:1883')
      .refine((u) => /^(mqtts?|wss?|tcp):$/.test(new URL(u).protocol), 'must be mqtt://, mqtts://, ws://, wss:// or tcp://')
      .optional(),
    seed: count(0, 0xffffffff).optional(),
    topicPrefix: TopicPrefixSchema.optional(),
    site: z.string().min(1).optional(),
    loadSite: z.boolean().default(false),
    connections: count(1, 4096).optional(),
    window: count(1, 1_000_000).optional(),
    status: z.boolean().default(true),
    json: z.boolean().default(false),
  })
  .strict();
export type CliFlags = z.infer<typeof CliFlagsSchema>;

/** Environment variables the CLI reads (only its entry point passes `process.env` in). */
export const CliEnvSchema = z.object({
  MQTT_URL: z.string().optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  MQTT_TOPIC_PREFIX: TopicPrefixSchema.optional(),
  DATABASE_URL: z.string().optional(),
});
export type CliEnv = z.infer<typeof CliEnvSchema>;

/** Parses `argv` (without node and script). Returns `'help'` for -h/--help; throws {@link CliUsageError} on anything wrong. */
export function parseCliArgs(argv: readonly string[]): CliFlags | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new CliUsageError([err instanceof Error ? err.message : String(err)]);
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length !== 1)
    throw new CliUsageError([parsed.positionals.length === 0 ? 'name a scenario' : `one scenario only, got: ${parsed.positionals.join(' ')}`]);
  const v = parsed.values;
  const r = CliFlagsSchema.safeParse({
    scenario: parsed.positionals[0],
    devices: v.devices,
    channels: v.channels,
    rate: v.rate,
    duration: v.duration,
    speed: v.speed,
    qos: v.qos,
    broker: v.broker,
    seed: v.seed,
    topicPrefix: v['topic-prefix'],
    site: v.site,
    loadSite: v['load-site'] ?? false,
    connections: v.connections,
    window: v.window,
    status: !(v['no-status'] ?? false),
    json: v.json ?? false,
  });
  if (!r.success) throw new CliUsageError(r.error.issues.map((i) => `${flagName(i.path[0])}: ${i.message}`));
  return r.data;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      devices: { type: 'string' },
      channels: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      speed: { type: 'string' },
      qos: { type: 'string' },
      broker: { type: 'string' },
      seed: { type: 'string' },
      'topic-prefix': { type: 'string' },
      site: { type: 'string' },
      'load-site': { type: 'boolean' },
      connections: { type: 'string' },
      window: { type: 'string' },
      'no-status': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function flagName(key: PropertyKey | undefined): string {
  if (key === 'scenario') return 'scenario';
  if (key === 'topicPrefix') return '--topic-prefix';
  if (key === 'loadSite') return '--load-site';
  return `--${String(key)}`;
}
