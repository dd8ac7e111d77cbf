import type { Quality } from '@hazardwatch/contracts';
import { storageMode } from '../migrate.js';
import type { Pool } from '../pool.js';
import { QUALITY_OF_CODE } from './timeseries.repo.js';

export type Bucket = 'raw' | '1m' | '1h';

export interface SeriesPoint {
  pointId: number;
  /** Epoch ms of the sample (raw) or of the bucket start. */
  ts: number;
  avg: number;
  min: number;
  max: number;
  last: number;
  samples: number;
}

/** Pick the coarsest bucket that still gives a useful chart: ≤ 6 h raw, ≤ 7 days per minute, else per hour. */
export function autoBucket(fromMs: number, toMs: number): Bucket {
  const span = toMs - fromMs;
  if (span <= 6 * 3_600_000) return 'raw';
  if (span <= 7 * 86_400_000) return '1m';
  return '1h';
}

/**
 * Series of one or more points over [from, to). Bucketed series come from the
 * continuous aggregates on TimescaleDB and are computed on read on plain
 * PostgreSQL — same result shape either way.
 */
export async function readingSeries(
  pool: Pool,
  q: { pointIds: number[]; fromMs: number; toMs: number; bucket: Bucket; limit?: number },
): Promise<SeriesPoint[]> {
  const limit = q.limit ?? 100_000;
  if (q.bucket === 'raw') {
    const r = await pool.query<{ point_id: number; ts: number; value: number }>(
      `SELECT point_id, (extract(epoch FROM time) * 1000)::float8 AS ts, value FROM readings
        WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)
        ORDER BY point_id, time LIMIT $4`,
      [q.pointIds, q.fromMs, q.toMs, limit],
    );
    return r.rows.map((x) => ({ pointId: x.point_id, ts: x.ts, avg: x.value, min: x.value, max: x.value, last: x.value, samples: 1 }));
  }
  const width = q.bucket === '1m' ? '1 minute' : '1 hour';
  const mode = await storageMode(pool);
  const sql =
    mode === 'timescale'
      ? `SELECT point_id, (extract(epoch FROM bucket) * 1000)::float8 AS ts, avg, min, max, last, samples
           FROM readings_${q.bucket}
          WHERE point_id = ANY($1::int4[]) AND bucket >= to_timestamp($2 / 1000.0) AND bucket < to_timestamp($3 / 1000.0)
          ORDER BY point_id, bucket LIMIT $4`
      : `SELECT point_id, (extract(epoch FROM b) * 1000)::float8 AS ts, avg(value) AS avg, min(value) AS min, max(value) AS max,
                (array_agg(value ORDER BY time DESC))[1] AS last, count(*) AS samples
           FROM (SELECT point_id, time, value, date_bin(INTERVAL '${width}', time, TIMESTAMPTZ 'epoch') AS b FROM readings
                  WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)) s
          GROUP BY point_id, b ORDER BY point_id, b LIMIT $4`;
  const r = await pool.query<{ point_id: number; ts: number; avg: number; min: number; max: number; last: number; samples: number }>(sql, [
    q.pointIds,
    q.fromMs,
    q.toMs,
    limit,
  ]);
  return r.rows.map((x) => ({ pointId: x.point_id, ts: x.ts, avg: x.avg, min: x.min, max: x.max, last: x.last, samples: Number(x.samples) }));
}

export interface LatestReading {
  pointId: number;
  ts: number;
  value: number;
  quality: Quality;
}

/** Latest reading of each point: one backward index probe per point on the (point_id, time) key. */
export async function latestReadings(pool: Pool, pointIds: number[]): Promise<LatestReading[]> {
  const r = await pool.query<{ point_id: number; ts: number; value: number; quality: number }>(
    `SELECT p.id AS point_id, (extract(epoch FROM l.time) * 1000)::float8 AS ts, l.value, l.quality
       FROM unnest($1::int4[]) AS p(id)
       CROSS JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l`,
    [pointIds],
  );
  return r.rows.map((x) => ({ pointId: x.point_id, ts: x.ts, value: x.value, quality: QUALITY_OF_CODE[x.quality] ?? 'fault' }));
}

/** Count of readings of points in [from, to) — for tests and exports. */
export async function countReadings(pool: Pool, q: { pointIds?: number[]; fromMs?: number; toMs?: number } = {}): Promise<number> {
  const r = await pool.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM readings
      WHERE ($1::int4[] IS NULL OR point_id = ANY($1)) AND ($2::float8 IS NULL OR time >= to_timestamp($2 / 1000.0))
        AND ($3::float8 IS NULL OR time < to_timestamp($3 / 1000.0))`,
    [q.pointIds ?? null, q.fromMs ?? null, q.toMs ?? null],
  );
  return r.rows[0]?.n ?? 0;
}
