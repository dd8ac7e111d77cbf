import { parseArgs } from 'node:util';
import { INGEST_DEFAULTS } from '../suites-support/common.js';

export type Workload = 'dense' | 'sparse';

/** The targets on the 2-core machine (issue 4, section Benchmark). */
export const TARGETS = { denseReadingsPerS: 80_000, sparseMessagesPerS: 25_000 } as const;

/** Per workload: channels per message, devices and offered rate (messages/s) by default: each device at 1 Hz, offering the target. */
export const WORKLOADS: Record<Workload, { channels: number; devices: number; rate: number }> = {
  dense: { channels: 8, devices: 10_000, rate: TARGETS.denseReadingsPerS / 8 },
  sparse: { channels: 1, devices: 25_000, rate: TARGETS.sparseMessagesPerS },
};

export interface IngestBenchOptions {
  workloads: Workload[];
  warmupS: number;
  durationS: number;
  connections: number[];
  /** INGEST_BATCH_MAX_ROWS values; 'fit' = connections × (channels + 1), what the pool can hold at once. */
  batchRows: Array<number | 'fit'>;
  batchWaitMs: number;
  /** Offered messages/s, or 'max'; undefined: the workload's default (the target). */
  rate: number | 'max' | undefined;
  devices: number | undefined;
  pubConnections: number;
  window: number;
  partitions: number;
  poolMax: number;
  /** LATEST_VALUES_REDIS=true for ingest (its copy of the latest values in Redis); false: ingest's own default. */
  latestValuesRedis: boolean;
  cpuProfile: boolean;
  out: string | undefined;
  label: string | undefined;
  /** Before each run, wait up to this long for the machine to be quiet (other work below quietCores). */
  quietWaitS: number;
  quietCores: number;
  /** A run during which other work used more than this many cores is repeated (up to `retries` times). */
  maxOtherCores: number;
  retries: number;
}

export const INGEST_USAGE = `usage: npm run bench -- ingest [options]

Dense (8 channels per message) and sparse (1 channel) QoS 1 telemetry through an own
Mosquitto into an own database on the local PostgreSQL, ingest and publisher each as
its own process. Lists (a,b,c) run every combination.

options:
  --workload dense|sparse|both   (default both)
  --warmup S                     seconds before the measured window (default 15)
  --duration S                   measured window in seconds (default 60)
  --connections N[,N…]           INGEST_CONNECTIONS (default ${INGEST_DEFAULTS.connections}, ingest's own)
  --batch-rows N|fit[,…]         INGEST_BATCH_MAX_ROWS (default 5000); fit = connections × (channels + 1):
                                 a batch closes as soon as every connection holds a message
  --batch-wait-ms N              INGEST_BATCH_MAX_WAIT_MS (default ${INGEST_DEFAULTS.batchMaxWaitMs}, ingest's own)
  --rate N|max                   offered messages/s (default: the target; dense 10000, sparse 25000)
  --devices N                    load devices (default dense 10000, sparse 25000: 1 Hz each at the default rate)
  --pub-connections N            publisher MQTT connections (default 16)
  --window N                     publisher's unacknowledged publishes at most (default 2000)
  --partitions N                 EVAL_PARTITIONS (default 16)
  --pool-max N                   DATABASE_POOL_MAX of ingest (default 10)
  --latest-values-redis          LATEST_VALUES_REDIS=true for ingest: it writes the latest values to Redis
                                 (without it, ingest's own default applies)
  --cpu-profile                  V8 CPU profile of ingest over the measured window
  --out FILE                     results JSON (default bench-results/ingest-<time>.json)
  --label TEXT                   a note stored with the results (e.g. the variant tried)
  --quiet-wait S                 before each run, wait up to S s for the machine to be idle (default 600)
  --quiet-cores X                idle means fewer than X busy cores over 5 s (default 0.3)
  --max-other-cores X            repeat a run if other work on the machine used more than X cores
                                 during its window (default 0.25; every attempt is kept in the results)
  --retries N                    repeats of a disturbed run at most (default 2)
`;

const list = (s: string, flag: string): number[] =>
  s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: '${x}' is not a positive whole number`);
    return n;
  });
const positive = (s: string, flag: string): number => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: '${s}' must be a positive number`);
  return n;
};

/** Parse the ingest suite's arguments; throws with a readable message on anything wrong. */
export function parseIngestOptions(argv: string[]): IngestBenchOptions | 'help' {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      workload: { type: 'string', default: 'both' },
      warmup: { type: 'string', default: '15' },
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: String(INGEST_DEFAULTS.connections) },
      'batch-rows': { type: 'string', default: '5000' },
      'batch-wait-ms': { type: 'string', default: String(INGEST_DEFAULTS.batchMaxWaitMs) },
      rate: { type: 'string' },
      devices: { type: 'string' },
      'pub-connections': { type: 'string', default: '16' },
      window: { type: 'string', default: '2000' },
      partitions: { type: 'string', default: '16' },
      'pool-max': { type: 'string', default: '10' },
      'latest-values-redis': { type: 'boolean', default: false },
      'cpu-profile': { type: 'boolean', default: false },
      out: { type: 'string' },
      label: { type: 'string' },
      'quiet-wait': { type: 'string', default: '600' },
      'quiet-cores': { type: 'string', default: '0.3' },
      'max-other-cores': { type: 'string', default: '0.25' },
      retries: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';
  if (positionals.length > 0) throw new Error(`unexpected argument(s): ${positionals.join(' ')}`);
  const workloads: Workload[] = v.workload === 'both' ? ['dense', 'sparse'] : v.workload === 'dense' || v.workload === 'sparse' ? [v.workload] : [];
  if (workloads.length === 0) throw new Error(`--workload: '${v.workload}' is not dense, sparse or both`);
  return {
    workloads,
    warmupS: positive(v.warmup, '--warmup'),
    durationS: positive(v.duration, '--duration'),
    connections: list(v.connections, '--connections'),
    batchRows: v['batch-rows'].split(',').flatMap((x): Array<number | 'fit'> => (x === 'fit' ? ['fit'] : list(x, '--batch-rows'))),
    batchWaitMs: list(v['batch-wait-ms'], '--batch-wait-ms')[0] ?? INGEST_DEFAULTS.batchMaxWaitMs,
    rate: v.rate === undefined ? undefined : v.rate === 'max' ? 'max' : positive(v.rate, '--rate'),
    devices: v.devices === undefined ? undefined : list(v.devices, '--devices')[0],
    pubConnections: list(v['pub-connections'], '--pub-connections')[0] ?? 16,
    window: list(v.window, '--window')[0] ?? 2000,
    partitions: list(v.partitions, '--partitions')[0] ?? 16,
    poolMax: list(v['pool-max'], '--pool-max')[0] ?? 10,
    latestValuesRedis: v['latest-values-redis'],
    cpuProfile: v['cpu-profile'],
    out: v.out,
    label: v.label,
    quietWaitS: Number(v['quiet-wait']),
    quietCores: positive(v['quiet-cores'], '--quiet-cores'),
    maxOtherCores: positive(v['max-other-cores'], '--max-other-cores'),
    retries: Number(v.retries),
  };
}
