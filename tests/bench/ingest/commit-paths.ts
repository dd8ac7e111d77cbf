/**
 * `npm run bench -- ingest-commit`: the commit path alone, without MQTT. Commits
 * batches of readings one after another (as the batcher does: one write in
 * flight) into a fresh database, by three paths, and measures commit latency and
 * the CPU of the client and of the database backend per row:
 *
 * - `unnest`: the production `commitIngestBatch` (INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING).
 * - `unnest-pg-arrays`: the same statement with the arrays left to pg's own encoding (every
 *   element quoted and escaped), which is what `commitIngestBatch` did before it sent numeric
 *   array literals.
 * - `copy-staging`: COPY (text) into a temporary staging table, then INSERT … SELECT … ON
 *   CONFLICT DO NOTHING from it (a redelivered message must not fail the batch, so COPY
 *   cannot go straight into `readings`). COPY is driven through pg's submittable-query
 *   interface, the one pg-copy-streams uses, so no extra dependency is needed to measure it.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JobReading } from '@hazardwatch/contracts';
import { commitIngestBatch, createPool, type Pool, type PoolClient } from '@hazardwatch/db';
import { adminDatabaseUrl, createTestDatabase, testRedisUrl } from '@hazardwatch/testkit';
import { machineInfo, waitForQuiet } from '../lib/machine.js';
import { CLOCK_TICKS_PER_S, readProcStat } from '../lib/proc.js';
import { formatTable } from '../lib/table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PATHS = ['unnest', 'unnest-pg-arrays', 'copy-staging'] as const;
type CommitPath = (typeof PATHS)[number];

const USAGE = `usage: npm run bench -- ingest-commit [options]

options:
  --paths a,b,c      ${PATHS.join(', ')} (default all)
  --batch-rows N,…   readings per commit (default 256,1024,2048,4096)
  --points N         distinct measuring points the readings cycle over (default 80000: 10,000 devices × 8)
  --duration S       measured seconds per path and size (default 15)
  --quiet-wait S     wait up to S s for an idle machine before each measurement (default 300)
  --out FILE         results JSON (default bench-results/ingest-commit-<time>.json)
`;

/** COPY … FROM STDIN through pg's submittable-query interface (what pg-copy-streams builds on). */
class CopyIn {
  private done: ((err?: Error) => void) | undefined;
  private error: Error | undefined;
  readonly finished: Promise<void>;
  constructor(
    readonly text: string,
    private readonly data: Buffer,
  ) {
    this.finished = new Promise((res, rej) => {
      this.done = (err) => (err ? rej(err) : res());
    });
  }
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
  handleCommandComplete(): void {}
  handleError(err: Error): void {
    this.error = err;
  }
  handleReadyForQuery(): void {
    this.done?.(this.error);
  }
}

const QUALITY: Record<JobReading['quality'], number> = { good: 0, fault: 1, maintenance: 2 };

async function commitPgArrays(client: PoolClient, readings: JobReading[]): Promise<void> {
  await client.query('BEGIN');
  await client.query({
    name: 'bench_insert_pg_arrays',
    text: `INSERT INTO readings (time, point_id, value, quality)
           SELECT to_timestamp(t / 1000.0), p, v, q FROM unnest($1::float8[], $2::int4[], $3::float8[], $4::int2[]) AS u(t, p, v, q)
           ON CONFLICT DO NOTHING`,
    values: [readings.map((r) => r.ts), readings.map((r) => r.pointId), readings.map((r) => r.value), readings.map((r) => QUALITY[r.quality])],
  });
  await client.query('COMMIT');
}

async function commitCopy(client: PoolClient, readings: JobReading[]): Promise<void> {
  let text = '';
  for (const r of readings) text += `${r.ts}\t${r.pointId}\t${r.value}\t${QUALITY[r.quality]}\n`;
  await client.query('BEGIN');
  const copy = new CopyIn('COPY bench_stage (t, p, v, q) FROM STDIN', Buffer.from(text));
  // A submittable goes through the client's queue like any query; its own promise says when it is done.
  client.query(copy);
  await copy.finished;
  await client.query({
    name: 'bench_insert_from_stage',
    text: `INSERT INTO readings (time, point_id, value, quality)
           SELECT to_timestamp(t / 1000.0), p, v, q FROM bench_stage ON CONFLICT DO NOTHING`,
  });
  await client.query('COMMIT');
}

interface PathResult {
  path: CommitPath;
  batchRows: number;
  batches: number;
  rowsPerS: number;
  latencyMs: { p50: number; p99: number; mean: number };
  /** CPU per 1,000 rows, ms: the client (encoding, protocol) and the database backend. */
  clientCpuMsPer1kRows: number;
  backendCpuMsPer1kRows: number;
  quietBefore: { busyCores: number; waitedMs: number };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function measure(path: CommitPath, batchRows: number, points: number, durationS: number): Promise<Omit<PathResult, 'quietBefore'>> {
  const db = await createTestDatabase({ timescale: 'off' });
  // One connection: every commit runs on the same backend, whose CPU is read from /proc.
  const pool: Pool = createPool(db.url, { max: 1 });
  try {
    const client = await pool.connect();
    const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    if (path === 'copy-staging') await client.query('CREATE TEMP TABLE bench_stage (t float8, p int4, v float8, q int2) ON COMMIT DELETE ROWS');
    client.release();

    let k = 0;
    const baseTs = Date.now() - 86_400_000;
    const nextBatch = (): JobReading[] => {
      const out = new Array<JobReading>(batchRows);
      for (let i = 0; i < batchRows; i++, k++) {
        out[i] = {
          pointId: 1 + (k % points),
          ts: baseTs + Math.floor(k / points) * 1000,
          value: Math.round(40000 + 20000 * Math.random()) / 100,
          quality: 'good',
        };
      }
      return out;
    };
    const commit = async (readings: JobReading[]) => {
      if (path === 'unnest') {
        await commitIngestBatch(pool, { readings, positions: [], statuses: [], deadLetters: [] });
        return;
      }
      const c = await pool.connect();
      try {
        if (path === 'unnest-pg-arrays') await commitPgArrays(c, readings);
        else await commitCopy(c, readings);
      } finally {
        c.release();
      }
    };

    // Warm-up: plans cached, table and index past their first pages.
    for (let i = 0; i < 20; i++) await commit(nextBatch());
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const be0 = readProcStat(backendPid)?.cpuTicks ?? 0;
    const t0 = performance.now();
    let rows = 0;
    while (performance.now() - t0 < durationS * 1000) {
      const batch = nextBatch();
      const s = performance.now();
      await commit(batch);
      lat.push(performance.now() - s);
      rows += batch.length;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const beS = ((readProcStat(backendPid)?.cpuTicks ?? 0) - be0) / CLOCK_TICKS_PER_S;
    const n = (await db.pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM readings')).rows[0]?.n ?? 0;
    if (n !== rows + 20 * batchRows) throw new Error(`${path}: ${n} rows stored, ${rows + 20 * batchRows} committed`);
    lat.sort((a, b) => a - b);
    return {
      path,
      batchRows,
      batches: lat.length,
      rowsPerS: rows / wallS,
      latencyMs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), mean: lat.reduce((a, b) => a + b, 0) / lat.length },
      clientCpuMsPer1kRows: ((cpu.user + cpu.system) / 1000 / rows) * 1000,
      backendCpuMsPer1kRows: ((beS * 1000) / rows) * 1000,
    };
  } finally {
    await pool.end();
    await db.drop();
  }
}

export async function runIngestCommitSuite(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      paths: { type: 'string', default: PATHS.join(',') },
      'batch-rows': { type: 'string', default: '256,1024,2048,4096' },
      points: { type: 'string', default: '80000' },
      duration: { type: 'string', default: '15' },
      'quiet-wait': { type: 'string', default: '300' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const paths = v.paths.split(',') as CommitPath[];
  const bad = paths.filter((p) => !PATHS.includes(p));
  if (bad.length > 0) {
    process.stderr.write(`unknown path(s): ${bad.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const sizes = v['batch-rows'].split(',').map(Number);
  const startedAt = new Date();
  const out = v.out ? resolve(v.out) : join(ROOT, 'bench-results', `ingest-commit-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = await machineInfo(adminDatabaseUrl(), testRedisUrl());
  const results: PathResult[] = [];
  for (const batchRows of sizes)
    for (const path of paths) {
      const quietBefore = await waitForQuiet({ maxCores: 0.3, spanMs: 5000, timeoutMs: Number(v['quiet-wait']) * 1000 });
      process.stderr.write(`${path}, ${batchRows} rows per commit (machine busy ${quietBefore.busyCores.toFixed(2)} cores before)\n`);
      results.push({ ...(await measure(path, batchRows, Number(v.points), Number(v.duration))), quietBefore });
      await writeFile(out, JSON.stringify({ suite: 'ingest-commit', startedAt: startedAt.toISOString(), argv, machine, results }, null, 2));
    }
  process.stdout.write(
    `${formatTable(
      ['path', 'rows/commit', 'commits', 'rows/s', 'p50 ms', 'p99 ms', 'client CPU ms/1k rows', 'backend CPU ms/1k rows'],
      results.map((r) => [
        r.path,
        String(r.batchRows),
        String(r.batches),
        Math.round(r.rowsPerS).toLocaleString('en-US'),
        r.latencyMs.p50.toFixed(1),
        r.latencyMs.p99.toFixed(1),
        r.clientCpuMsPer1kRows.toFixed(2),
        r.backendCpuMsPer1kRows.toFixed(2),
      ]),
    )}\n\nresults: ${out}\n`,
  );
  return 0;
}
