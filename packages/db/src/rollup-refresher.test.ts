import type { JobReading, SiteFile } from '@hazardwatch/contracts';
import { createLogger, metricsRegistry } from '@hazardwatch/observability';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pool } from './pool.js';
import { readingSeries, type SeriesPoint } from './repos/readings.repo.js';
import { beginWithRollupFence, HOUR_MS, MINUTE_MS, ROLLUP_REFRESH_LOCK_KEY, rollupState } from './repos/rollup.repo.js';
import { commitIngestBatch } from './repos/timeseries.repo.js';
import { createRollupRefresher, refreshRollups } from './rollup-refresher.js';
import { applySiteFile } from './site-file.js';
import { deleteExpiredRows } from './storage-policies.js';

const site: SiteFile = {
  version: 1,
  enterprise: { id: 'ent-r', name: 'Rollup plant', regionCode: '370321' },
  hazardSources: [{ id: 'hs-r', name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 0 }],
  devices: [
    {
      id: 'dev-r',
      hazardSourceId: 'hs-r',
      points: [
        { channel: 'a', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 1000 },
        { channel: 'b', kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 1000 },
      ],
    },
  ],
  vehicles: [],
  geofences: [],
};

const SETTINGS = { lagMs: 60_000, maxSpanMs: 45 * MINUTE_MS };

/** The bucketed series as readingSeries computed it before the rollup: aggregated on read from `readings`. */
async function onRead(pool: Pool, pointIds: number[], fromMs: number, toMs: number, bucket: '1m' | '1h'): Promise<SeriesPoint[]> {
  const width = bucket === '1m' ? '1 minute' : '1 hour';
  const r = await pool.query<{ point_id: number; ts: number; avg: number; min: number; max: number; last: number; samples: string }>(
    `SELECT point_id, (extract(epoch FROM b) * 1000)::float8 AS ts, avg(value) AS avg, min(value) AS min, max(value) AS max,
            (array_agg(value ORDER BY time DESC))[1] AS last, count(*) AS samples
       FROM (SELECT point_id, time, value, date_bin(INTERVAL '${width}', time, TIMESTAMPTZ 'epoch') AS b FROM readings
              WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)) s
      GROUP BY point_id, b ORDER BY point_id, b`,
    [pointIds, fromMs, toMs],
  );
  return r.rows.map((x) => ({ pointId: x.point_id, ts: x.ts, avg: x.avg, min: x.min, max: x.max, last: x.last, samples: Number(x.samples) }));
}

/** Equal bucket for bucket; averages up to floating-point summation order. */
function expectSameSeries(got: SeriesPoint[], want: SeriesPoint[], what: string): void {
  expect(got.length, `${what}: buckets`).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i] as SeriesPoint;
    expect({ pointId: g.pointId, ts: g.ts, min: g.min, max: g.max, last: g.last, samples: g.samples }, `${what} #${i}`).toEqual({
      pointId: w.pointId,
      ts: w.ts,
      min: w.min,
      max: w.max,
      last: w.last,
      samples: w.samples,
    });
    expect(g.avg, `${what} #${i} avg`).toBeCloseTo(w.avg, 9);
  });
}

/** readingSeries against the aggregate on read, for both bucket widths and ranges aligned and not. */
async function expectEqualToOnRead(pool: Pool, pointIds: number[], fromMs: number, toMs: number, what: string): Promise<void> {
  const ranges: Array<[number, number]> = [
    [fromMs, toMs],
    [fromMs + 17_345, toMs - 23_456],
    [fromMs + HOUR_MS + 30_000, fromMs + 2 * HOUR_MS + 1],
    [fromMs - 5 * HOUR_MS, toMs + HOUR_MS],
  ];
  for (const bucket of ['1m', '1h'] as const)
    for (const [a, b] of ranges) {
      const got = await readingSeries(pool, { pointIds, fromMs: a, toMs: b, bucket });
      expectSameSeries(got, await onRead(pool, pointIds, a, b, bucket), `${what} ${bucket} [${a}, ${b})`);
    }
}

/** Irregular readings: not every second, not on whole seconds, values that do not sum exactly. */
function readings(pointIds: number[], fromMs: number, toMs: number, stepMs: number, seed: number): JobReading[] {
  const out: JobReading[] = [];
  let k = seed;
  for (let t = fromMs; t < toMs; t += stepMs) {
    for (const pointId of pointIds) {
      k = (k * 1_103_515_245 + 12_345) % 2_147_483_648;
      if (k % 7 === 0) continue;
      out.push({ pointId, ts: t + (k % 997), value: 100 + Math.sin(t / 1e5 + pointId) * 37.3 + (k % 1000) / 3, quality: 'good' });
    }
  }
  return out;
}

async function commit(pool: Pool, rows: JobReading[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000)
    await commitIngestBatch(pool, { readings: rows.slice(i, i + 5000), positions: [], statuses: [], deadLetters: [] });
}

/** Both rollup tables; sums to 6 decimals (the order rows are added in may differ with the plan). */
async function tableRows(pool: Pool): Promise<unknown[]> {
  const r = await pool.query(
    `SELECT '1m' AS t, point_id, bucket, round(sum::numeric, 6) AS sum, min, max, last, samples::int8 FROM readings_rollup_1m
     UNION ALL SELECT '1h', point_id, bucket, round(sum::numeric, 6), min, max, last, samples FROM readings_rollup_1h ORDER BY 1, 2, 3`,
  );
  return r.rows;
}

describe('rollup refresher (plain PostgreSQL)', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  async function setup(): Promise<{ pool: Pool; ids: number[] }> {
    db = await createTestDatabase({ timescale: 'off' });
    const applied = await applySiteFile(db.pool, site);
    const ids = [applied.pointIds['dev-r.a'], applied.pointIds['dev-r.b']].filter((x): x is number => x !== undefined);
    expect(ids).toHaveLength(2);
    return { pool: db.pool, ids };
  }

  it('serves the same series as the aggregate on read: before any refresh, with an unrefreshed tail, with late readings pending and redone', async () => {
    const { pool, ids } = await setup();
    const t0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 6 * HOUR_MS;
    const end = t0 + 3 * HOUR_MS;
    await commit(pool, readings(ids, t0, end, 7_000, 1));
    await expectEqualToOnRead(pool, ids, t0, end, 'not refreshed');

    // Refreshed up to the middle of the second hour: rollup rows below, raw readings above.
    const first = await refreshRollups(pool, SETTINGS, t0 + HOUR_MS + 31 * MINUTE_MS + 5_000);
    expect(first).toMatchObject({ status: 'refreshed', rolledToMs: t0 + HOUR_MS + 30 * MINUTE_MS, steps: 2 });
    const rolled = await pool.query<{ m: string; h: string }>(
      `SELECT (SELECT count(*) FROM readings_rollup_1m) AS m, (SELECT count(*) FROM readings_rollup_1h) AS h`,
    );
    expect(Number(rolled.rows[0]?.m)).toBeGreaterThan(150);
    expect(Number(rolled.rows[0]?.h)).toBe(2); // the first hour, both points
    await expectEqualToOnRead(pool, ids, t0, end, 'partly refreshed');

    // The rollup rows are what is served below the watermark (a tampered row shows).
    const probe = { pointIds: [ids[0] as number], fromMs: t0, toMs: t0 + 10 * MINUTE_MS, bucket: '1m' as const };
    await pool.query(`UPDATE readings_rollup_1m SET max = 9999 WHERE point_id = $1 AND bucket = to_timestamp($2 / 1000.0)`, [ids[0], t0 + MINUTE_MS]);
    expect((await readingSeries(pool, probe)).find((p) => p.ts === t0 + MINUTE_MS)?.max).toBe(9999);
    await pool.query(
      `UPDATE readings_rollup_1m SET max = (SELECT max(value) FROM readings WHERE point_id = $1 AND time >= $2::timestamptz AND time < $2::timestamptz + INTERVAL '1 minute')
        WHERE point_id = $1 AND bucket = $2::timestamptz`,
      [ids[0], new Date(t0 + MINUTE_MS)],
    );
    // Tampered again where a late reading will land: while pending, that minute must be read raw.
    await pool.query(`UPDATE readings_rollup_1m SET max = 9999 WHERE point_id = $1 AND bucket = to_timestamp($2 / 1000.0)`, [ids[0], t0 + 20 * MINUTE_MS]);

    // Late readings (store-and-forward): into rolled-up minutes (one whose raw readings were
    // replaced meanwhile, at the end of a completed hour), the tail, and one before the oldest reading.
    const late: JobReading[] = [
      { pointId: ids[0] as number, ts: t0 + 20 * MINUTE_MS + 1_234, value: 555.5, quality: 'good' },
      { pointId: ids[1] as number, ts: t0 + 59 * MINUTE_MS + 59_999, value: 0.001, quality: 'good' },
      { pointId: ids[0] as number, ts: t0 + HOUR_MS + 10 * MINUTE_MS + 999, value: 812.25, quality: 'good' },
      { pointId: ids[1] as number, ts: t0 + 2 * HOUR_MS + 5_000, value: 3.3, quality: 'good' },
      { pointId: ids[0] as number, ts: t0 - 3 * MINUTE_MS, value: 42, quality: 'good' },
    ];
    await pool.query(`DELETE FROM readings WHERE point_id = $1 AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)`, [
      ids[1],
      t0 + 59 * MINUTE_MS,
      t0 + HOUR_MS,
    ]);
    await commit(pool, late);
    expect((await rollupState(pool)).pending).toBe(4); // not the tail one: it is above the watermark
    // Not yet refreshed: the tampered minute has a pending late reading, so it is read raw.
    await expectEqualToOnRead(pool, ids, t0 - HOUR_MS, end, 'late readings pending');

    const second = await refreshRollups(pool, SETTINGS, t0 + HOUR_MS + 31 * MINUTE_MS + 5_000);
    expect(second).toMatchObject({ status: 'refreshed', rolledToMs: t0 + HOUR_MS + 30 * MINUTE_MS, pendingClaimed: 4 });
    expect((await rollupState(pool)).pending).toBe(0);
    const redone = await pool.query<{ max: number; samples: number }>(
      `SELECT max, samples FROM readings_rollup_1m WHERE point_id = $1 AND bucket = to_timestamp($2 / 1000.0)`,
      [ids[0], t0 + 20 * MINUTE_MS],
    );
    expect(redone.rows[0]?.max).toBe(555.5);
    await expectEqualToOnRead(pool, ids, t0 - HOUR_MS, end, 'late readings redone');

    // Caught up to the wall clock: everything from the rollup.
    const third = await refreshRollups(pool, SETTINGS);
    expect(third.status).toBe('refreshed');
    await expectEqualToOnRead(pool, ids, t0 - HOUR_MS, end, 'caught up');

    // The dashboards' views agree with the aggregate on read too.
    for (const [view, bucket] of [
      ['v_readings_1m', '1m'],
      ['v_readings_1h', '1h'],
    ] as const) {
      await commit(pool, [{ pointId: ids[1] as number, ts: t0 + 30 * MINUTE_MS + 7, value: 77.7, quality: 'good' }]); // one pending minute
      const v = await pool.query<{ point_id: number; ts: number; avg: number; min: number; max: number; last: number; samples: string }>(
        `SELECT point_id, (extract(epoch FROM bucket) * 1000)::float8 AS ts, avg, min, max, last, samples FROM ${view}
          WHERE point_id = ANY($1::int4[]) ORDER BY point_id, bucket`,
        [ids],
      );
      const got = v.rows.map((x) => ({ pointId: x.point_id, ts: x.ts, avg: x.avg, min: x.min, max: x.max, last: x.last, samples: Number(x.samples) }));
      expectSameSeries(got, await onRead(pool, ids, t0 - 5 * HOUR_MS, Date.now() + HOUR_MS, bucket), view);
    }
  });

  it('is idempotent: a second refresh changes nothing, and redoing the whole range gives the same rows', async () => {
    const { pool, ids } = await setup();
    const t0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 4 * HOUR_MS;
    await commit(pool, readings(ids, t0, t0 + 2 * HOUR_MS + 15 * MINUTE_MS, 5_000, 2));
    const first = await refreshRollups(pool, SETTINGS);
    expect(first.status).toBe('refreshed');
    const rows = await tableRows(pool);
    expect(rows.length).toBeGreaterThan(2 * 135);
    const again = await refreshRollups(pool, SETTINGS);
    expect(again).toMatchObject({ status: 'refreshed', minuteRows: 0, pendingClaimed: 0 });
    expect(await tableRows(pool)).toEqual(rows);
    // Forget the watermark: the backfill runs again over the rows it wrote, upserting the same values.
    await pool.query(`UPDATE readings_rollup_state SET rolled_to = NULL`);
    const redo = await refreshRollups(pool, SETTINGS);
    expect(redo).toMatchObject({ status: 'refreshed' });
    expect(redo.status === 'refreshed' && redo.minuteRows).toBe(rows.filter((r) => (r as { t: string }).t === '1m').length);
    expect(await tableRows(pool)).toEqual(rows);
  });

  it('refreshes in one process at a time (advisory lock), and waits for ingest commits in flight before raising the watermark', async () => {
    const { pool, ids } = await setup();
    const t0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
    await commit(pool, readings(ids, t0, t0 + 30 * MINUTE_MS, 10_000, 3));

    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [ROLLUP_REFRESH_LOCK_KEY]);
      expect(await refreshRollups(pool, SETTINGS)).toEqual({ status: 'busy' });
      expect((await rollupState(pool)).rolledToMs).toBeNull();
      await holder.query('SELECT pg_advisory_unlock($1)', [ROLLUP_REFRESH_LOCK_KEY]);

      const both = await Promise.all([refreshRollups(pool, SETTINGS), refreshRollups(pool, SETTINGS)]);
      expect(both.filter((r) => r.status === 'refreshed').length).toBeGreaterThanOrEqual(1);
      expect(both.every((r) => r.status === 'refreshed' || r.status === 'busy')).toBe(true);

      // An ingest commit in flight (it read the old watermark) holds the fence: the refresher waits for it.
      const now = Date.now();
      await commit(pool, [{ pointId: ids[0] as number, ts: now - 2 * MINUTE_MS, value: 1, quality: 'good' }]);
      const inFlightTs = now - 30_000; // above the current watermark (at most now − lag), below the next one
      expect(await beginWithRollupFence(holder)).toBeLessThan(inFlightTs);
      await holder.query(`INSERT INTO readings (time, point_id, value) VALUES (to_timestamp($1 / 1000.0), $2, 123.25)`, [inFlightTs, ids[1]]);
      const refreshing = refreshRollups(pool, SETTINGS, now + 2 * MINUTE_MS);
      await vi.waitFor(
        async () => {
          // pg_locks is the whole server's: only a waiting advisory lock in this test's database counts.
          const w = await pool.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          expect(w.rowCount).toBe(1);
        },
        { timeout: 5_000, interval: 20 },
      );
      await holder.query('COMMIT');
      const r = await refreshing;
      expect(r).toMatchObject({ status: 'refreshed' });
      expect(r.status === 'refreshed' && r.rolledToMs).toBeGreaterThan(inFlightTs);
      const row = await pool.query<{ max: number }>(`SELECT max FROM readings_rollup_1m WHERE point_id = $1 AND bucket = to_timestamp($2 / 1000.0)`, [
        ids[1],
        Math.floor(inFlightTs / MINUTE_MS) * MINUTE_MS,
      ]);
      expect(row.rows[0]?.max).toBe(123.25);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('retention drops rollup buckets that end before the cutoff and keeps the rest', async () => {
    const { pool, ids } = await setup();
    const now = Date.now();
    await commit(pool, readings(ids, now - 31 * 86_400_000, now - 29 * 86_400_000, 600_000, 4));
    expect((await refreshRollups(pool, { ...SETTINGS, maxSpanMs: 86_400_000 })).status).toBe('refreshed');
    const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]?.n);
    const old1m = `SELECT count(*) AS n FROM readings_rollup_1m WHERE bucket < now() - INTERVAL '30 days 1 minute'`;
    const old1h = `SELECT count(*) AS n FROM readings_rollup_1h WHERE bucket < now() - INTERVAL '30 days 1 hour'`;
    const kept1m = `SELECT count(*) AS n FROM readings_rollup_1m WHERE bucket > now() - INTERVAL '30 days'`;
    expect(await count(old1m)).toBeGreaterThan(100);
    expect(await count(old1h)).toBeGreaterThan(20);
    const keptBefore = await count(kept1m);
    expect(keptBefore).toBeGreaterThan(100);
    await pool.query(`INSERT INTO readings_rollup_pending (point_id, minute) VALUES ($1, now() - INTERVAL '31 days')`, [ids[0]]);

    const deleted = await deleteExpiredRows(pool, { readingsRetentionDays: 30, positionsRetentionDays: 183 });
    expect(deleted).toBeGreaterThan(0);
    expect(await count(old1m)).toBe(0);
    expect(await count(old1h)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM readings_rollup_pending`)).toBe(0);
    expect(await count(kept1m)).toBe(keptBefore);
    // What remains is still what the aggregate on read gives, away from the cutoff's bucket.
    const from = now - 29.5 * 86_400_000;
    for (const bucket of ['1m', '1h'] as const)
      expectSameSeries(
        await readingSeries(pool, { pointIds: ids, fromMs: from, toMs: now, bucket }),
        await onRead(pool, ids, from, now, bucket),
        `after retention ${bucket}`,
      );
  });

  it('runs on a timer from start() until stop(); interval 0 never refreshes', async () => {
    const { pool, ids } = await setup();
    await commit(pool, readings(ids, Date.now() - HOUR_MS, Date.now() - 5 * MINUTE_MS, 30_000, 5));
    const log = createLogger({ level: 'silent' });
    const off = createRollupRefresher({ pool, log, settings: { ...SETTINGS, intervalMs: 0 } });
    await off.start();
    await off.stop();
    expect((await rollupState(pool)).rolledToMs).toBeNull();

    const refresher = createRollupRefresher({ pool, log, settings: { ...SETTINGS, intervalMs: 60_000 } });
    await refresher.start();
    await vi.waitFor(async () => expect((await rollupState(pool)).rolledToMs).not.toBeNull(), { timeout: 10_000, interval: 20 });
    await Promise.all([refresher.stop(), refresher.stop()]);
    const rolledTo = (await rollupState(pool)).rolledToMs ?? 0;
    expect(rolledTo).toBeGreaterThan(Date.now() - 3 * MINUTE_MS);
    // The cycle's figures reach /metrics: one refresh timed, the watermark 1–3 minutes behind the clock.
    const text = await metricsRegistry.metrics();
    expect(Number(/^hazardwatch_rollup_refresh_seconds_count (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    const lag = Number(/^hazardwatch_rollup_lag_seconds ([\d.e+-]+)/m.exec(text)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(60);
    expect(lag).toBeLessThan(180);
  });
});
