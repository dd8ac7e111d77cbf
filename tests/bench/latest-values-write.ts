/**
 * `npm run bench -- latest-write [options]`, or directly:
 * `node --conditions=hazardwatch-source --import tsx tests/bench/latest-values-write.ts [options]`.
 *
 * Redis's cost of ingest's copy of the latest values (LATEST_VALUES_REDIS), per reading, apart
 * from everything else ingest does: the real writer call, `setLatestIfNewer` of
 * packages/queue, with batches shaped like the dense load's — `--batch` readings (1,024) of
 * `--batch / --channels` distinct devices chosen at random, a device's `--channels` (8) points
 * consecutive ids, `--points` (10,000) points in all, each device's timestamps in order
 * (+1 s per batch it is in). One call at a time, as the writer makes them.
 *
 * The figure is Redis's own: per round, the deltas of `INFO cpu` (used_cpu_user + used_cpu_sys
 * of the server process) and of `INFO commandstats` (usec of evalsha/eval, the script's run time
 * as Redis measures it) divided by the readings written. Redis runs the script on one thread,
 * so the CPU it takes per reading barely depends on what else the machine does (a busy machine
 * preempts it, which shows in the run time, not in its CPU). By default the bench starts a
 * redis-server of its own (no persistence, like the machine's), so no other client's commands
 * count; `--redis-url` measures an existing one instead (then other clients count too).
 *
 * Cases (`--cases`): `newer` — every reading newer than the stored one (the steady state of a
 * live site: every slot is replaced); `older` — every reading older (redeliveries: every slot
 * kept); `mixed` — within each device every other channel newer (each run rebuilt slot by slot).
 * Before measuring, every point holds a reading. Each call's count of replaced slots is checked
 * against what the case must give: a script that compares wrongly fails the bench.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedis, type LatestEntry, latestText, type Redis, setLatestIfNewer } from '@hazardwatch/queue';
import { mulberry32 } from '@hazardwatch/simulators';
import { dropRedisPrefix, freePort, type OwnServer, startOwnServer, testRedisPrefix } from '@hazardwatch/testkit';
import { fmt, hostInfo, int, load1, table, writeResults } from './suites-support/common.js';

type Case = 'newer' | 'older' | 'mixed';
const CASES: readonly Case[] = ['newer', 'mixed', 'older'];

interface LatestWriteOptions {
  points: number;
  channels: number;
  batch: number;
  /** Writer calls per round. */
  calls: number;
  rounds: number;
  cases: Case[];
  /** Measure this Redis instead of an own redis-server. */
  redisUrl: string | undefined;
  out: string | undefined;
  label: string | undefined;
}

const LATEST_WRITE_DEFAULTS: LatestWriteOptions = {
  points: 10_000,
  channels: 8,
  batch: 1024,
  calls: 200,
  rounds: 5,
  cases: [...CASES],
  redisUrl: undefined,
  out: undefined,
  label: undefined,
};

const LATEST_WRITE_USAGE = `usage: npm run bench -- latest-write [options]
  --points N        points (default ${LATEST_WRITE_DEFAULTS.points}; devices = points / channels)
  --channels N      consecutive points per device (default ${LATEST_WRITE_DEFAULTS.channels})
  --batch N         readings per writer call (default ${LATEST_WRITE_DEFAULTS.batch}; a multiple of --channels)
  --calls N         writer calls per round (default ${LATEST_WRITE_DEFAULTS.calls})
  --rounds N        rounds per case, the cases interleaved (default ${LATEST_WRITE_DEFAULTS.rounds})
  --cases LIST      newer,mixed,older (default all)
  --redis-url URL   measure this Redis (its other clients count too) instead of an own redis-server
  --out FILE  --label TEXT
`;

function parseLatestWriteArgs(argv: string[]): LatestWriteOptions | 'help' {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      points: { type: 'string' },
      channels: { type: 'string' },
      batch: { type: 'string' },
      calls: { type: 'string' },
      rounds: { type: 'string' },
      cases: { type: 'string' },
      'redis-url': { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';
  if (positionals.length > 0) throw new Error(`unexpected argument(s): ${positionals.join(' ')}`);
  const whole = (s: string | undefined, flag: string, dflt: number): number => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: '${s}' is not a positive whole number`);
    return n;
  };
  const d = LATEST_WRITE_DEFAULTS;
  const o: LatestWriteOptions = {
    points: whole(v.points, '--points', d.points),
    channels: whole(v.channels, '--channels', d.channels),
    batch: whole(v.batch, '--batch', d.batch),
    calls: whole(v.calls, '--calls', d.calls),
    rounds: whole(v.rounds, '--rounds', d.rounds),
    cases: v.cases === undefined ? d.cases : v.cases.split(',').map((c) => c as Case),
    redisUrl: v['redis-url'],
    out: v.out,
    label: v.label,
  };
  for (const c of o.cases) if (!CASES.includes(c)) throw new Error(`--cases: '${c}' is not one of ${CASES.join(', ')}`);
  if (o.batch % o.channels !== 0) throw new Error('--batch must be a multiple of --channels');
  if (o.batch / o.channels > Math.floor(o.points / o.channels)) throw new Error('--batch needs more devices than --points give');
  return o;
}

/** The bench's model of what Redis holds (timestamp per point), to build each case's batches and know their answers. */
class Site {
  readonly devices: number;
  readonly stored: Float64Array;
  // Seeded, so every run writes the same batches.
  private readonly rnd = mulberry32(7);
  constructor(private readonly o: LatestWriteOptions) {
    this.devices = Math.floor(o.points / o.channels);
    this.stored = new Float64Array(this.devices * o.channels);
  }
  private pointId(device: number, channel: number): number {
    // Ids from 1, as a table's serial: a device's points are consecutive, and some devices straddle a bucket.
    return device * this.o.channels + channel + 1;
  }
  private entry(device: number, channel: number, ts: number): LatestEntry {
    const value = Math.round(this.rnd() * 100_000) / 100;
    return { pointId: this.pointId(device, channel), ts, text: latestText(ts, value, this.rnd() < 0.01 ? 'fault' : 'good') };
  }
  /** Every point once, at `ts`, in batches of the configured size. */
  fill(ts: number): LatestEntry[][] {
    const out: LatestEntry[][] = [];
    let cur: LatestEntry[] = [];
    for (let d = 0; d < this.devices; d++)
      for (let c = 0; c < this.o.channels; c++) {
        this.stored[d * this.o.channels + c] = ts;
        cur.push(this.entry(d, c, ts));
        if (cur.length === this.o.batch) {
          out.push(cur);
          cur = [];
        }
      }
    if (cur.length > 0) out.push(cur);
    return out;
  }
  /** One writer call's entries for `kind`, and how many slots it must replace. */
  batch(kind: Case): { entries: LatestEntry[]; replaces: number } {
    const chosen = new Set<number>();
    const want = this.o.batch / this.o.channels;
    while (chosen.size < want) chosen.add(Math.floor(this.rnd() * this.devices));
    const entries: LatestEntry[] = [];
    let replaces = 0;
    for (const d of chosen)
      for (let c = 0; c < this.o.channels; c++) {
        const i = d * this.o.channels + c;
        const last = this.stored[i] ?? 0;
        const newer = kind === 'newer' || (kind === 'mixed' && c % 2 === 0);
        const ts = newer ? last + 1000 : last - 1000;
        if (newer) {
          this.stored[i] = ts;
          replaces++;
        }
        entries.push(this.entry(d, c, ts));
      }
    return { entries, replaces };
  }
}

interface RedisCounters {
  cpuS: number;
  scriptCalls: number;
  scriptUsec: number;
}

async function counters(redis: Redis): Promise<RedisCounters> {
  const cpu = await redis.info('cpu');
  const stats = await redis.info('commandstats');
  const num = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  let scriptCalls = 0;
  let scriptUsec = 0;
  // ioredis sends EVALSHA, and EVAL once when Redis lacks the script.
  for (const m of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+),usec=(\d+)/gm)) {
    scriptCalls += Number(m[1]);
    scriptUsec += Number(m[2]);
  }
  return { cpuS: num(cpu, /^used_cpu_user:([\d.]+)/m) + num(cpu, /^used_cpu_sys:([\d.]+)/m), scriptCalls, scriptUsec };
}

interface Round {
  kind: Case;
  round: number;
  readings: number;
  scriptCalls: number;
  /** Redis server CPU (user + sys) per reading written, µs. */
  redisCpuUsPerReading: number;
  /** Script run time as Redis counts it (commandstats usec), per reading and per script call, µs. */
  scriptUsPerReading: number;
  scriptUsPerCall: number;
  /** This process's CPU (building the calls, ioredis) per reading, µs. */
  clientCpuUsPerReading: number;
  readingsPerS: number;
}

async function measureRound(redis: Redis, prefix: string, site: Site, kind: Case, round: number, o: LatestWriteOptions): Promise<Round> {
  const batches = Array.from({ length: o.calls }, () => site.batch(kind));
  const a = await counters(redis);
  const clientA = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) {
    const changed = await setLatestIfNewer(redis, prefix, b.entries);
    if (changed !== b.replaces) throw new Error(`${kind}: the script replaced ${changed} slots, the case needs ${b.replaces}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(clientA);
  const b = await counters(redis);
  const readings = o.calls * o.batch;
  const calls = b.scriptCalls - a.scriptCalls;
  return {
    kind,
    round,
    readings,
    scriptCalls: calls,
    redisCpuUsPerReading: ((b.cpuS - a.cpuS) * 1e6) / readings,
    scriptUsPerReading: (b.scriptUsec - a.scriptUsec) / readings,
    scriptUsPerCall: calls > 0 ? (b.scriptUsec - a.scriptUsec) / calls : Number.NaN,
    clientCpuUsPerReading: (client.user + client.system) / readings,
    readingsPerS: readings / seconds,
  };
}

/** A redis-server of the bench's own, set up like the machine's (nothing kept on disk). */
async function startBenchRedis(): Promise<OwnServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'hw-latest-write-'));
  return startOwnServer({
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    disposeSignal: 'SIGTERM',
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function runLatestWrite(o: LatestWriteOptions): Promise<{ rounds: Round[]; file: string }> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const startedAt = new Date().toISOString();
  const loadBefore = load1();
  const own = o.redisUrl === undefined ? await startBenchRedis() : undefined;
  const url = o.redisUrl ?? own?.url ?? '';
  const redis = createRedis(url, { maxRetriesPerRequest: 1 });
  const prefix = testRedisPrefix();
  const rounds: Round[] = [];
  try {
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    log(`redis ${version} at ${url}${own ? ' (own server)' : ' (shared: its other clients count too)'}; load average ${loadBefore}`);
    const site = new Site(o);
    for (const b of site.fill(1_795_470_000_000)) await setLatestIfNewer(redis, prefix, b);
    for (let r = 0; r < o.rounds; r++)
      for (const kind of o.cases) {
        const round = await measureRound(redis, prefix, site, kind, r, o);
        rounds.push(round);
        log(
          `  ${kind} round ${r + 1}: Redis ${fmt(round.redisCpuUsPerReading, 3)} µs CPU/reading, script ${fmt(round.scriptUsPerReading, 3)} µs/reading (${fmt(round.scriptUsPerCall, 0)} µs/call), client ${fmt(round.clientCpuUsPerReading, 3)} µs/reading`,
        );
      }
  } finally {
    if (own) await own.dispose().catch(() => undefined);
    else await dropRedisPrefix(prefix, url).catch(() => undefined);
    redis.disconnect();
  }
  const loadAfter = load1();
  const rows = o.cases.map((kind) => {
    const rs = rounds.filter((r) => r.kind === kind);
    const span = (f: (r: Round) => number, d = 3) => `${fmt(median(rs.map(f)), d)} (${fmt(Math.min(...rs.map(f)), d)}–${fmt(Math.max(...rs.map(f)), d)})`;
    return [
      kind,
      int(rs.reduce((s, r) => s + r.readings, 0)),
      fmt(median(rs.map((r) => r.scriptCalls / o.calls)), 1),
      span((r) => r.redisCpuUsPerReading),
      span((r) => r.scriptUsPerReading),
      fmt(median(rs.map((r) => r.scriptUsPerCall)), 0),
      fmt(median(rs.map((r) => r.clientCpuUsPerReading)), 3),
      int(median(rs.map((r) => r.readingsPerS))),
    ];
  });
  process.stdout.write(
    `\n${table(
      [
        'case',
        'readings',
        'scripts/call',
        'Redis CPU µs/reading, median (min–max)',
        'script µs/reading (commandstats)',
        'µs/script',
        'client CPU µs/reading',
        'readings/s',
      ],
      rows,
    )}\n`,
  );
  process.stdout.write(
    `\n${o.batch} readings per call (${o.batch / o.channels} devices × ${o.channels} channels), ${o.points} points, ${o.calls} calls × ${o.rounds} rounds per case; load average ${loadBefore} → ${loadAfter}\n`,
  );
  const file = await writeResults(
    'latest-write',
    {
      suite: 'latest-write',
      label: o.label ?? null,
      startedAt,
      options: o,
      host: hostInfo(),
      loadavg: { before: loadBefore, after: loadAfter },
      ownRedis: own !== undefined,
      rounds,
    },
    o.out,
  );
  process.stdout.write(`results: ${file}\n`);
  return { rounds, file };
}

export async function latestWriteSuiteMain(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseLatestWriteArgs>;
  try {
    o = parseLatestWriteArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${LATEST_WRITE_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(LATEST_WRITE_USAGE);
    return 0;
  }
  await runLatestWrite(o);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await latestWriteSuiteMain(process.argv.slice(2));
