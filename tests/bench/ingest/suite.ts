import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminDatabaseUrl, testRedisUrl } from '@hazardwatch/testkit';
import { machineInfo, waitForQuiet } from '../lib/machine.js';
import { formatTable } from '../lib/table.js';
import { INGEST_USAGE, parseIngestOptions, TARGETS, WORKLOADS } from './options.js';
import { type RunResult, runOne } from './run-one.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (s: number | null) => (s === null ? '-' : (s * 1000).toFixed(1));
const cores = (x: number | undefined) => (x ?? 0).toFixed(2);

/** One measured run as stored: with how quiet the machine was and whether other work disturbed the window. */
type BenchRun = RunResult & { quietBefore?: { busyCores: number; waitedMs: number }; attempt?: number; disturbed?: boolean };

/** Cores used during the window by work that is not part of the run (other users of the machine). */
function otherCores(r: RunResult): number {
  return r.cpu.otherCores + (r.cpu.cores['postgres (other databases)'] ?? 0);
}

/** Whether a run meets the target for its workload, with 0 lost. */
function verdict(r: RunResult): string {
  const target = r.params.workload === 'dense' ? r.stored.readingsPerS >= TARGETS.denseReadingsPerS : r.stored.messagesPerS >= TARGETS.sparseMessagesPerS;
  if (!r.loss.exact) return `LOST ${r.loss.lostReadings}`;
  return target ? 'target met' : 'below target';
}

function summaryTable(results: BenchRun[]): string {
  return formatTable(
    [
      'workload',
      'conns',
      'batch rows',
      'offered msg/s',
      'stored readings/s',
      'stored msg/s',
      'lost',
      'commit p50 ms',
      'p99 ms',
      'rows/batch',
      'ingest',
      'broker',
      'pg',
      'publisher',
      'redis',
      'other',
      'machine',
      'ingest RSS MB',
      'ELU',
      'redis copy',
      'verdict',
    ],
    results.map((r) => {
      const c = r.cpu.cores;
      const pg = (c['postgres (ingest backends)'] ?? 0) + (c['postgres (wal, checkpointer, …)'] ?? 0);
      return [
        r.params.workload,
        String(r.params.connections),
        String(r.params.batchRows),
        n0(r.offered.messagesPerS),
        n0(r.stored.readingsPerS),
        n0(r.stored.messagesPerS),
        r.loss.exact ? '0' : String(r.loss.lostReadings),
        ms(r.commit.p50Seconds),
        ms(r.commit.p99Seconds),
        n0(r.commit.meanRowsPerBatch),
        cores(c.ingest),
        cores(c.broker),
        cores(pg),
        cores(c.publisher),
        cores(c.redis),
        cores(otherCores(r)),
        `${cores(r.cpu.machineCores)}/${r.cpu.cpus}`,
        `${r.ingest.rssPeakMb}`,
        r.ingest.eventLoopUtilization === null ? '-' : r.ingest.eventLoopUtilization.toFixed(2),
        r.params.latestValuesRedis ? (r.latestValues.writerLive ? 'written' : 'NOT LIVE') : r.latestValues.writerLive ? 'written (default)' : 'off',
        `${verdict(r)}${r.disturbed ? ' (disturbed)' : ''}`,
      ];
    }),
  );
}

/** `npm run bench -- ingest [options]`: every combination of the options, results to bench-results/. */
export async function runIngestSuite(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseIngestOptions>;
  try {
    o = parseIngestOptions(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${INGEST_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(INGEST_USAGE);
    return 0;
  }
  const startedAt = new Date();
  const out = o.out ? resolve(o.out) : join(ROOT, 'bench-results', `ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const profileDir = join(dirname(out), 'profiles');
  await mkdir(profileDir, { recursive: true });
  const machine = await machineInfo(adminDatabaseUrl(), testRedisUrl());
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(
    `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, PostgreSQL ${machine.postgres}, ${machine.mosquitto}, Redis ${machine.redis}, Node ${machine.node}`,
  );

  const results: BenchRun[] = [];
  const save = () =>
    writeFile(out, JSON.stringify({ suite: 'ingest', label: o.label ?? null, startedAt: startedAt.toISOString(), argv, machine, results }, null, 2));
  for (const workload of o.workloads) {
    for (const connections of o.connections) {
      for (const rowsOption of o.batchRows) {
        const w = WORKLOADS[workload];
        const batchRows = rowsOption === 'fit' ? connections * (w.channels + 1) : rowsOption;
        const params = {
          workload,
          channels: w.channels,
          devices: o.devices ?? w.devices,
          rate: o.rate ?? w.rate,
          connections,
          batchRows,
          batchWaitMs: o.batchWaitMs,
          partitions: o.partitions,
          poolMax: o.poolMax,
          latestValuesRedis: o.latestValuesRedis,
          pubConnections: o.pubConnections,
          window: o.window,
          warmupS: o.warmupS,
          durationS: o.durationS,
          cpuProfile: o.cpuProfile,
          profileDir,
        };
        log(
          `${workload}: ${connections} ingest connections, batch ≤ ${batchRows} rows / ${o.batchWaitMs} ms, ${o.latestValuesRedis ? 'LATEST_VALUES_REDIS=true' : 'LATEST_VALUES_REDIS as ingest defaults'}`,
        );
        for (let attempt = 0; ; attempt++) {
          const quiet = await waitForQuiet({ maxCores: o.quietCores, spanMs: 5000, timeoutMs: o.quietWaitS * 1000 });
          if (quiet.busyCores > o.quietCores) log(`  machine still busy (${quiet.busyCores.toFixed(2)} cores) after ${o.quietWaitS} s: measuring anyway`);
          const run = await runOne(params, log);
          const other = otherCores(run);
          const r = { ...run, quietBefore: quiet, attempt, disturbed: other > o.maxOtherCores };
          results.push(r);
          await save();
          log(summaryTable([r]));
          if (!r.disturbed) break;
          if (attempt >= o.retries) {
            log(`  other work used ${other.toFixed(2)} cores during the window; no retries left`);
            break;
          }
          log(`  other work used ${other.toFixed(2)} cores during the window (> ${o.maxOtherCores}): repeating`);
        }
      }
    }
  }
  process.stdout.write(`\n${summaryTable(results)}\n`);
  process.stdout.write(
    `\ncpu columns: cores used on average over the window (ingest, broker = Mosquitto, pg = ingest's backends + WAL writer/checkpointer/postmaster, other = other work on the machine, not part of the run; a run where it exceeds --max-other-cores is marked disturbed and repeated); machine = busy cores of ${machine.cpus}\n`,
  );
  for (const r of results)
    if (r.profile) {
      process.stdout.write(`\ningest CPU profile (${r.params.workload}, ${r.params.connections} conns): self time by area, % of busy\n`);
      for (const a of r.profile.byArea.slice(0, 15)) process.stdout.write(`  ${a.pctOfBusy.toFixed(1).padStart(5)} %  ${a.name}\n`);
    }
  process.stdout.write(`\nresults: ${out}\n`);
  return results.every((r) => r.loss.exact) ? 0 : 1;
}
