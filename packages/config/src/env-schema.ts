import { z } from 'zod';

/** `true/false/1/0/yes/no/on/off`, case-insensitive; anything else is an error. */
export const BoolFromEnv = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: RegExp) =>
  z
    .string()
    .trim()
    .url()
    .refine((u) => protocols.test(new URL(u).protocol), `unsupported protocol (expected ${protocols.source})`);

/** Every environment variable hazardwatch reads, with the defaults of the embedded start. */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),

  DATABASE_URL: url(/^postgres(ql)?:$/).optional(),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  EMBEDDED_PG_PORT: int(1, 65535).default(5433),
  READINGS_RETENTION_DAYS: int(30, 36500).default(30),
  POSITIONS_RETENTION_DAYS: int(183, 36500).default(183),
  TIMESCALE: z.enum(['auto', 'on', 'off']).default('auto'),

  REDIS_URL: url(/^rediss?:$/).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/)
    .default('hw'),
  EVAL_PARTITIONS: int(1, 1024).default(16),

  MQTT_URL: url(/^(mqtts?|wss?|tcp):$/).optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  MQTT_TOPIC_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]+\/)*$/, 'must be empty or end with /')
    .default(''),
  EMBEDDED_MQTT_PORT: int(0, 65535).default(1884),

  INGEST_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ingest'),
  INGEST_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default('hw-ingest-0'),
  INGEST_CONNECTIONS: int(1, 1024).default(128),
  INGEST_BATCH_MAX_ROWS: int(1, 100_000).default(5000),
  INGEST_BATCH_MAX_WAIT_MS: int(1, 10_000).default(50),
  INGEST_MAX_PAYLOAD_BYTES: int(64, 16 * 1024 * 1024).default(256 * 1024),
  INGEST_MAX_FUTURE_SKEW_MS: int(0, 86_400_000).default(300_000),
  INGEST_MAX_AGE_MS: int(60_000, 3650 * 86_400_000).default(30 * 86_400_000),
  DEAD_LETTER_MAX_PAYLOAD_BYTES: int(0, 1024 * 1024).default(16 * 1024),

  RULES_WORKER_TICK_MS: int(100, 60_000).default(1000),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: int(0, 65535).default(8080),

  SIMULATOR: z.enum(['plant', 'off']).default('plant'),
});
export type Env = z.infer<typeof EnvSchema>;
