import { applySiteFile, applyStoragePolicies, commitIngestBatch, migrate, readingSeries } from '@hazardwatch/db';
import { createTestDatabase, dockerEngineAvailable, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';

/**
 * The TimescaleDB path. Where a Docker engine exists the server comes from
 * testcontainers (timescale/timescaledb); elsewhere from TEST_TIMESCALE_URL
 * (an admin URL of a server with the extension preloaded). With neither, the
 * suite is reported as skipped — docs/architecture.md says how the SQL was
 * validated by hand on such machines.
 */
const TIMESCALE_IMAGE = 'timescale/timescaledb:2.17.2-pg15';

async function timescaleAdminUrl(): Promise<{ url: string; stop: () => Promise<void> } | null> {
  if (process.env.TEST_TIMESCALE_URL) return { url: process.env.TEST_TIMESCALE_URL, stop: async () => undefined };
  if (!(await dockerEngineAvailable())) return null;
  const { GenericContainer, Wait } = await import('testcontainers');
  const c = await new GenericContainer(TIMESCALE_IMAGE)
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return { url: `postgres://postgres:postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`, stop: async () => void (await c.stop()) };
}

const server = await timescaleAdminUrl();

describe.skipIf(!server)('TimescaleDB storage path', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ adminUrl: server?.url, timescale: 'on' });
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    await server?.stop();
  });

  it('makes hypertables with compression, retention and continuous aggregates; a second run changes nothing', async () => {
    expect(db.mode).toBe('timescale');
    await applyStoragePolicies(db.pool, { readingsRetentionDays: 30, positionsRetentionDays: 183 });
    await applyStoragePolicies(db.pool, { readingsRetentionDays: 45, positionsRetentionDays: 200 });
    const hyper = await db.pool.query(`SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1`);
    expect(hyper.rows).toEqual([
      { hypertable_name: 'positions', compression_enabled: true },
      { hypertable_name: 'readings', compression_enabled: true },
    ]);
    const caggs = await db.pool.query(`SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY 1`);
    expect(caggs.rows.map((r) => r.view_name)).toEqual(['readings_1h', 'readings_1m']);
    const retention = await db.pool.query(
      `SELECT hypertable_name, config->>'drop_after' AS drop_after FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY 1`,
    );
    expect(retention.rows).toEqual([
      { hypertable_name: 'positions', drop_after: '200 days' },
      { hypertable_name: 'readings', drop_after: '45 days' },
    ]);
    expect((await migrate(db.pool, { timescale: 'on' })).applied).toEqual([]);
  });

  it('serves 1-minute buckets from the continuous aggregate with the same result shape as plain PostgreSQL', async () => {
    const ids = (await applySiteFile(db.pool, smallPlant('ent-ts'))).pointIds;
    const p = ids['ent-ts-gas2.lel'] ?? 0;
    const t0 = Date.UTC(2026, 10, 20, 8, 0, 0);
    const readings = Array.from({ length: 120 }, (_, i) => ({ pointId: p, ts: t0 + i * 1000, value: i % 60, quality: 'good' as const }));
    await commitIngestBatch(db.pool, { readings, positions: [], statuses: [], deadLetters: [] });
    // materialized_only = false: recent data is aggregated on read even before a refresh.
    const series = await readingSeries(db.pool, { pointIds: [p], fromMs: t0, toMs: t0 + 120_000, bucket: '1m' });
    expect(series.map((x) => [x.ts, x.samples, x.min, x.max, x.last])).toEqual([
      [t0, 60, 0, 59, 59],
      [t0 + 60_000, 60, 0, 59, 59],
    ]);
  });
});
