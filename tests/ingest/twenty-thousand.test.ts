import { countReadings } from '@hazardwatch/db';
import { partitionOf, sourceKey } from '@hazardwatch/queue';
import { buildLoadSite, runScenario } from '@hazardwatch/simulators';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvaluateJobs } from '../support/evaluate-jobs.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';

const DEVICES = 200;
const RATE_HZ = 10;
const DURATION_S = 10;
const CHANNELS = 2;
const SOURCES = 8;

describe('ingest: 20,000 QoS 1 messages from the simulator through Mosquitto', () => {
  let s: IngestStack;
  const site = buildLoadSite({ devices: DEVICES, channels: CHANNELS, rateHz: RATE_HZ });
  // Spread the load devices over several hazard sources so jobs land in several partitions.
  site.hazardSources = Array.from({ length: SOURCES }, (_, k) => ({
    id: `hs-load-${k}`,
    name: `unit ${k}`,
    kind: 'process_unit',
    chemicals: [],
    peopleWithin500m: 0,
  }));
  site.devices = site.devices.map((d, i) => ({ ...d, hazardSourceId: `hs-load-${i % SOURCES}` }));

  beforeAll(async () => {
    s = await startIngestStack(site, { partitions: 4, connections: 64, batchMaxRows: 5000 });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('stores exactly the published readings and the evaluation jobs carry them all, by partition', async () => {
    const summary = await runScenario({
      scenario: 'load',
      brokerUrl: s.broker.url,
      devices: DEVICES,
      rateHz: RATE_HZ,
      durationS: DURATION_S,
      channels: CHANNELS,
      topicPrefix: s.topicPrefix,
      qos: 1,
      connections: 16,
      statusMessages: false,
      seed: 7,
    });
    expect(summary.failed).toBe(0);
    expect(summary.messagesByFamily.telemetry).toBe(20_000);
    expect(summary.readings).toBe(20_000 * CHANNELS);

    await waitFor(async () => (await countReadings(s.db.pool)) >= summary.readings, { what: 'all readings', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await countReadings(s.db.pool)).toBe(summary.readings);
    const dead = await s.db.pool.query('SELECT count(*)::int AS n FROM dead_letters');
    expect(dead.rows[0].n).toBe(0);

    // Jobs: every committed reading exactly once (no crash here), each in the partition of its hazard source.
    const points = await s.db.pool.query<{ id: number; hazard_source_id: string }>('SELECT id, hazard_source_id FROM measuring_points');
    const sourceOf = new Map(points.rows.map((p) => [p.id, p.hazard_source_id]));
    await waitFor(async () => (await readEvaluateJobs(s.redis, s.prefix, s.partitions)).reduce((n, j) => n + j.readings.length, 0) >= summary.readings, {
      what: 'jobs',
    });
    const jobs = await readEvaluateJobs(s.redis, s.prefix, s.partitions);
    const seen = new Set<string>();
    const partitionsUsed = new Set<number>();
    for (const job of jobs) {
      partitionsUsed.add(job.partition);
      for (const r of job.readings) {
        const hs = sourceOf.get(r.pointId);
        expect(hs).toBeDefined();
        expect(partitionOf(sourceKey(hs ?? ''), s.partitions)).toBe(job.partition);
        const key = `${r.pointId}@${r.ts}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    expect(seen.size).toBe(summary.readings);
    expect(partitionsUsed.size).toBeGreaterThan(1);
    // One job per partition per batch, never one per reading.
    expect(jobs.length).toBeLessThan(summary.readings / 20);
  }, 120_000);
});
