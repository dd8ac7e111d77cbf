import type { SiteFile } from '@hazardwatch/contracts';
import { createLogger, type Logger, metricsRegistry } from '@hazardwatch/observability';
import { clearLatestOlderThan, createRedis, type LatestEntry, latestText, type Redis, readLatest, setLatestIfNewer } from '@hazardwatch/queue';
import { createTestDatabase, dropRedisPrefix, type TestDatabase, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPool, type Pool } from './pool.js';
import { countReadings } from './repos/readings.repo.js';
import { commitIngestBatch } from './repos/timeseries.repo.js';
import { applyRetention, createRetentionPruner, type LatestValuesRetention, RETENTION_PRUNE_LOCK_KEY } from './retention-pruner.js';
import { refreshRollups } from './rollup-refresher.js';
import { applySiteFile } from './site-file.js';

const DAY_MS = 86_400_000;
const RETENTION = { readingsRetentionDays: 30, positionsRetentionDays: 183 };

const site: SiteFile = {
  version: 1,
  enterprise: { id: 'ent-ret', name: 'Retention plant', regionCode: '370321' },
  hazardSources: [{ id: 'hs-ret', name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 0 }],
  devices: [
    {
      id: 'dev-ret',
      hazardSourceId: 'hs-ret',
      points: [
        { channel: 'a', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 1000 },
        { channel: 'b', kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 1000 },
        { channel: 'c', kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 1000 },
      ],
    },
  ],
  vehicles: [{ id: 'veh-ret', plate: '鲁C54321' }],
  geofences: [],
};

/** Log lines as objects, to see which pruner did what. */
function captureLog(level = 'debug'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level, destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { log, lines };
}

/** A sample of this process's registry (0 before the metric exists); `sample` picks a histogram's `_count`. */
async function metric(name: string, labels: Record<string, string> = {}, sample = name): Promise<number> {
  const m = metricsRegistry.getSingleMetric(name);
  if (!m) return 0;
  const v = (await m.get()).values.find(
    (x) => ((x as { metricName?: string }).metricName ?? name) === sample && Object.entries(labels).every(([k, l]) => x.labels[k] === l),
  );
  return v?.value ?? 0;
}

let redis: Redis;
const prefixes: string[] = [];
beforeAll(() => {
  redis = createRedis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  for (const p of prefixes) await dropRedisPrefix(p);
  redis.disconnect();
});
const latestValuesOf = (prefix: string): LatestValuesRetention => ({ clearOlderThan: (cutoffMs) => clearLatestOlderThan(redis, prefix, cutoffMs) });
const at = (pointId: number, ts: number): LatestEntry => ({ pointId, ts, text: latestText(ts, 1.5, 'good') });

describe('retention pruner', () => {
  let db: TestDatabase | undefined;
  const pools: Pool[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.end();
    await db?.drop();
    db = undefined;
  });

  /** Readings 40 days old (expired), 29 days and 1 hour old (kept) per point; positions 200 days (expired) and 10 days old. */
  async function setup(nowMs: number): Promise<{ pool: Pool; ids: number[]; prefix: string }> {
    db = await createTestDatabase({ timescale: 'off' });
    const applied = await applySiteFile(db.pool, site);
    const ids = ['a', 'b', 'c'].map((c) => applied.pointIds[`dev-ret.${c}`]).filter((x): x is number => x !== undefined);
    expect(ids).toHaveLength(3);
    const readings = ids.flatMap((pointId) =>
      [40 * DAY_MS, 40 * DAY_MS - 60_000, 29 * DAY_MS, 3_600_000].map((ago) => ({ pointId, ts: nowMs - ago, value: 1, quality: 'good' as const })),
    );
    const position = (ago: number) => ({
      vehicleId: 'veh-ret',
      ts: nowMs - ago,
      lat: 36.8,
      lon: 118.0,
      speedKmh: 40,
      heading: 90,
      altitudeM: null,
      accOn: true,
      alarmFlags: 0,
    });
    await commitIngestBatch(db.pool, { readings, positions: [position(200 * DAY_MS), position(10 * DAY_MS)], statuses: [], deadLetters: [] });
    const prefix = testRedisPrefix();
    prefixes.push(prefix);
    return { pool: db.pool, ids, prefix };
  }

  const positions = async (pool: Pool) => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM positions')).rows[0]?.n);

  it('deletes what passed retention, keeps the rest, then clears the Redis copy of points older than the cutoff', async () => {
    const now = Date.now();
    const { pool, ids, prefix } = await setup(now);
    const [a, b, c] = ids as [number, number, number];
    expect((await refreshRollups(pool, { lagMs: 60_000, maxSpanMs: 50 * DAY_MS })).status).toBe('refreshed');
    const rollupRows = async () =>
      Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM readings_rollup_1m WHERE bucket < now() - INTERVAL '31 days'`)).rows[0]?.n);
    expect(await rollupRows()).toBe(3 * 2);
    // Point a silent since 40 days, b read 1 hour ago, c known to have no reading.
    await setLatestIfNewer(redis, prefix, [at(a, now - 40 * DAY_MS), at(b, now - 3_600_000), { pointId: c, ts: null, text: latestText(null, null, null) }]);
    const before = await readLatest(redis, prefix, [b, c]);

    const r = await applyRetention(pool, RETENTION, { nowMs: now, latestValues: latestValuesOf(prefix), sliceRows: 2 });
    // 6 readings, 1 position, 6 minute rollups (their hour rollups straddle no cutoff here: 40 days back is hours before it).
    expect(r).toMatchObject({ status: 'applied', latestCleared: 1 });
    expect(r.status === 'applied' && r.rows).toBeGreaterThanOrEqual(6 + 1 + 6);
    expect(await countReadings(pool)).toBe(3 * 2);
    expect(await countReadings(pool, { toMs: now - 30 * DAY_MS })).toBe(0);
    expect(await positions(pool)).toBe(1);
    expect(await rollupRows()).toBe(0);
    expect(await readLatest(redis, prefix, [a, b, c])).toEqual([undefined, ...before]);

    // Nothing left to do: a second pass deletes and clears nothing.
    expect(await applyRetention(pool, RETENTION, { nowMs: now, latestValues: latestValuesOf(prefix) })).toMatchObject({
      status: 'applied',
      rows: 0,
      latestCleared: 0,
    });
  });

  it('works in one process at a time: the other pass finds the lock taken and does nothing', async () => {
    const now = Date.now();
    const { pool, ids, prefix } = await setup(now);
    await setLatestIfNewer(redis, prefix, [at(ids[0] as number, now - 40 * DAY_MS)]);
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [RETENTION_PRUNE_LOCK_KEY]);
      expect(await applyRetention(pool, RETENTION, { latestValues: latestValuesOf(prefix) })).toEqual({ status: 'busy' });
      expect(await countReadings(pool)).toBe(12);
      expect((await readLatest(redis, prefix, [ids[0] as number]))[0]).toBeDefined();
      await holder.query('SELECT pg_advisory_unlock($1)', [RETENTION_PRUNE_LOCK_KEY]);

      // Two pruners: one holds the lock and is stuck on a row another transaction has locked;
      // the other's passes meanwhile all find the lock taken. Released, the first does the work.
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM readings WHERE time < now() - INTERVAL '35 days' LIMIT 1 FOR UPDATE`);
      const one = captureLog();
      const two = captureLog();
      const pruners = [one, two].map(({ log }, i) =>
        createRetentionPruner({ pool, log: log.child({ pruner: i }), retention: RETENTION, intervalMs: 50, latestValues: latestValuesOf(prefix) }),
      );
      for (const p of pruners) await p.start();
      const busy = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.msg === 'another process holds the retention lock').length;
      await vi.waitFor(() => expect(busy(one.lines) + busy(two.lines)).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 20 });
      // Only one of them ever found the lock taken: the other is the one waiting on the row.
      expect(busy(one.lines) === 0 || busy(two.lines) === 0).toBe(true);
      const waiting = busy(one.lines) === 0 ? 0 : 1;
      expect(await countReadings(pool)).toBe(12);
      await holder.query('ROLLBACK');

      const applied = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.msg === 'retention applied');
      await vi.waitFor(() => expect(applied(one.lines).length + applied(two.lines).length).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 20 });
      await Promise.all(pruners.map((p) => p.stop()));
      const worked = [...applied(one.lines), ...applied(two.lines)].filter((l) => Number(l.rows) > 0);
      expect(worked).toHaveLength(1);
      expect(worked[0]).toMatchObject({ rows: 6 + 1, latestCleared: 1 });
      expect(worked[0]?.pruner).toBe(waiting);
      expect(await countReadings(pool)).toBe(6);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('survives a failing pass: logs it, counts it, and succeeds at the next interval; stop waits for a pass in flight', async () => {
    const now = Date.now();
    const { pool } = await setup(now);
    const { log, lines } = captureLog('info');
    const failures = await metric('hazardwatch_retention_failures_total', { stage: 'database' });
    const rows = await metric('hazardwatch_retention_pruned_rows_total');
    const runs = await metric('hazardwatch_retention_run_seconds', {}, 'hazardwatch_retention_run_seconds_count');
    // The table is away for the first pass: its DELETE fails.
    await pool.query('ALTER TABLE readings RENAME TO readings_away');
    const pruner = createRetentionPruner({ pool, log, retention: RETENTION, intervalMs: 100 });
    await pruner.start();
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'retention failed; trying again next interval')).toBe(true), { timeout: 10_000, interval: 20 });
    expect(await metric('hazardwatch_retention_failures_total', { stage: 'database' })).toBeGreaterThanOrEqual(failures + 1);
    expect(lines.find((l) => l.msg === 'retention failed; trying again next interval')?.err).toMatchObject({ code: '42P01' });
    await pool.query('ALTER TABLE readings_away RENAME TO readings');
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'retention applied' && l.rows === 7)).toBe(true), { timeout: 10_000, interval: 20 });
    expect(await countReadings(pool)).toBe(6);
    expect(await metric('hazardwatch_retention_pruned_rows_total')).toBeGreaterThanOrEqual(rows + 7);
    expect(await metric('hazardwatch_retention_run_seconds', {}, 'hazardwatch_retention_run_seconds_count')).toBeGreaterThanOrEqual(runs + 1);
    const last = await metric('hazardwatch_retention_last_success_timestamp_seconds');
    expect(last).toBeGreaterThanOrEqual(now / 1000);
    expect(last).toBeLessThanOrEqual(Date.now() / 1000);

    // A pass stuck behind a table lock (its DELETE waits): stop() returns only once that pass is done.
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE readings IN SHARE MODE');
      await vi.waitFor(
        async () => {
          const w = await pool.query(
            `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'readings'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          expect(w.rowCount).toBe(1);
        },
        { timeout: 10_000, interval: 20 },
      );
      const passes = () => lines.filter((l) => l.msg === 'retention applied').length;
      const before = passes();
      let stopped = false;
      const stopping = Promise.all([pruner.stop(), pruner.stop()]).then(() => {
        stopped = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      await holder.query('ROLLBACK');
      await stopping;
      expect(passes()).toBe(before + 1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('a Redis copy that cannot be cleared is a failure of its own; the database part stands', async () => {
    const now = Date.now();
    const { pool } = await setup(now);
    const down = createRedis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const r = await applyRetention(pool, RETENTION, { latestValues: { clearOlderThan: (c) => clearLatestOlderThan(down, 'nowhere', c) } });
      expect(r).toMatchObject({ status: 'applied', rows: 7, latestCleared: null });
      expect(r.status === 'applied' && r.latestError).toBeInstanceOf(Error);

      const { log, lines } = captureLog('info');
      const failures = await metric('hazardwatch_retention_failures_total', { stage: 'latest_values' });
      const pruner = createRetentionPruner({
        pool,
        log,
        retention: RETENTION,
        intervalMs: 60_000,
        latestValues: { clearOlderThan: (c) => clearLatestOlderThan(down, 'nowhere', c) },
      });
      await pruner.start();
      await vi.waitFor(() => expect(lines.some((l) => String(l.msg).startsWith('retention: clearing the Redis copy'))).toBe(true), {
        timeout: 10_000,
        interval: 20,
      });
      await pruner.stop();
      expect(await metric('hazardwatch_retention_failures_total', { stage: 'latest_values' })).toBe(failures + 1);
      expect(lines.some((l) => l.msg === 'retention applied')).toBe(false);
    } finally {
      down.disconnect();
    }
  });

  it('on TimescaleDB deletes nothing itself but still clears the Redis copy; without one it goes idle', async () => {
    const now = Date.now();
    const { prefix, ids } = await setup(now);
    if (!db) throw new Error('no database');
    // The storage mode as migrate records it (this PostgreSQL has no TimescaleDB): a new pool reads it afresh.
    await db.pool.query(`UPDATE hw_meta SET value = 'timescale' WHERE key = 'storage_mode'`);
    const pool = createPool(db.url, { max: 2 });
    pools.push(pool);
    await setLatestIfNewer(redis, prefix, [at(ids[0] as number, now - 31 * DAY_MS), at(ids[1] as number, now - 29 * DAY_MS)]);
    const r = await applyRetention(pool, RETENTION, { nowMs: now, latestValues: latestValuesOf(prefix) });
    expect(r).toMatchObject({ status: 'applied', rows: 0, latestCleared: 1 });
    expect(await countReadings(pool)).toBe(12);
    expect((await readLatest(redis, prefix, [ids[0] as number, ids[1] as number])).map((t) => t !== undefined)).toEqual([false, true]);

    expect(await applyRetention(pool, RETENTION)).toEqual({ status: 'timescale' });
    const { log, lines } = captureLog('info');
    const pruner = createRetentionPruner({ pool, log, retention: RETENTION, intervalMs: 50 });
    await pruner.start();
    await vi.waitFor(() => expect(lines.some((l) => String(l.msg).startsWith('TimescaleDB:'))).toBe(true), { timeout: 10_000, interval: 20 });
    await pruner.stop();
    expect(lines.filter((l) => String(l.msg).startsWith('TimescaleDB:'))).toHaveLength(1);
  });

  it('interval 0: this process never prunes', async () => {
    const { pool } = await setup(Date.now());
    const { log, lines } = captureLog('info');
    const pruner = createRetentionPruner({ pool, log, retention: RETENTION, intervalMs: 0 });
    await pruner.start();
    await pruner.stop();
    expect(lines.map((l) => l.msg)).toEqual(['RETENTION_PRUNE_INTERVAL_MS=0: this process does not apply retention']);
    expect(await countReadings(pool)).toBe(12);
  });
});
