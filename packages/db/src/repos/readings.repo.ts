import type { Quality } from '@hazardwatch/contracts';
import { cachedStorageMode } from '../migrate.js';
import type { Pool, PoolClient } from '../pool.js';
import { type DataScope, inScope, scopeArgs } from './registry-admin.repo.js';
import { HOUR_MS, MINUTE_MS, rolledToMs } from './rollup.repo.js';
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

type SeriesRow = { point_id: number; ts: number; avg: number; min: number; max: number; last: number; samples: number | string };

/** TimescaleDB: the continuous aggregates (real-time), over [from, to). */
function timescaleBucketSql(bucket: '1m' | '1h'): string {
  return `SELECT point_id, (extract(epoch FROM bucket) * 1000)::float8 AS ts, avg, min, max, last, samples
            FROM readings_${bucket}
           WHERE point_id = ANY($1::int4[]) AND bucket >= to_timestamp($2 / 1000.0) AND bucket < to_timestamp($3 / 1000.0)
           ORDER BY point_id, bucket LIMIT $4`;
}

/**
 * Plain PostgreSQL: the refresher's rollup rows for whole buckets in [$5, $6) (below its
 * watermark) that have no pending late minute, and the aggregate on read of the raw readings
 * everywhere else: the partial bucket at the start [$2, $7), the tail [$8, $3) the refresher has
 * not reached, and the buckets with pending minutes. The same rows the aggregate on read of
 * [$2, $3) gives (docs/architecture.md, Storage).
 */
function plainBucketSql(bucket: '1m' | '1h'): string {
  const width = bucket === '1m' ? '1 minute' : '1 hour';
  return `WITH pend AS MATERIALIZED (
            SELECT DISTINCT point_id, date_bin(INTERVAL '${width}', minute, TIMESTAMPTZ 'epoch') AS b FROM readings_rollup_pending
             WHERE point_id = ANY($1::int4[]) AND minute >= to_timestamp($5 / 1000.0) AND minute < to_timestamp($6 / 1000.0)
          ), raw AS (
            SELECT point_id, time, value FROM readings
             WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($7 / 1000.0)
            UNION ALL
            SELECT point_id, time, value FROM readings
             WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($8 / 1000.0) AND time < to_timestamp($3 / 1000.0)
            UNION ALL
            SELECT r.point_id, r.time, r.value FROM pend JOIN readings r ON r.point_id = pend.point_id AND r.time >= pend.b AND r.time < pend.b + INTERVAL '${width}'
          )
          SELECT point_id, (extract(epoch FROM b) * 1000)::float8 AS ts, avg, min, max, last, samples FROM (
            SELECT r.point_id, r.bucket AS b, r.sum / r.samples AS avg, r.min, r.max, r.last, r.samples::int8 AS samples
              FROM readings_rollup_${bucket} r
             WHERE r.point_id = ANY($1::int4[]) AND r.bucket >= to_timestamp($5 / 1000.0) AND r.bucket < to_timestamp($6 / 1000.0)
               AND NOT EXISTS (SELECT 1 FROM pend WHERE pend.point_id = r.point_id AND pend.b = r.bucket)
            UNION ALL
            SELECT point_id, date_bin(INTERVAL '${width}', time, TIMESTAMPTZ 'epoch'), avg(value), min(value), max(value),
                   (array_agg(value ORDER BY time DESC))[1], count(*)
              FROM raw GROUP BY 1, 2
          ) x ORDER BY point_id, b LIMIT $4`;
}

/**
 * Which part of [from, to) the plain-PostgreSQL rollup serves: whole buckets from the first
 * bucket boundary at or after `from` up to the earlier of the last boundary before `to` and the
 * refresher's watermark (`rolledToMs`, null before the first refresh). Empty: all on read.
 */
function rollupSpan(fromMs: number, toMs: number, widthMs: number, rolledToMs: number | null): { startMs: number; endMs: number } | null {
  const startMs = Math.ceil(fromMs / widthMs) * widthMs;
  if (rolledToMs === null) return null;
  const endMs = Math.min(Math.floor(toMs / widthMs) * widthMs, Math.floor(rolledToMs / widthMs) * widthMs);
  return endMs > startMs ? { startMs, endMs } : null;
}

/**
 * Series of one or more points over [from, to). Bucketed series come from the
 * continuous aggregates on TimescaleDB, and on plain PostgreSQL from the rollup the
 * refresher keeps (rollup-refresher.ts) joined with the aggregate on read of what it has
 * not rolled up yet — same result shape, and on plain PostgreSQL the same values as
 * aggregating the raw readings (averages up to floating-point summation order).
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
  let r: { rows: SeriesRow[] };
  if ((await cachedStorageMode(pool)) === 'timescale') {
    r = await pool.query<SeriesRow>(timescaleBucketSql(q.bucket), [q.pointIds, q.fromMs, q.toMs, limit]);
  } else {
    // The watermark, read before the series: it only grows, and the rows below any value it had stay
    // complete (a late reading is a pending minute, read raw), so an older value is still right.
    const span = rollupSpan(q.fromMs, q.toMs, q.bucket === '1m' ? MINUTE_MS : HOUR_MS, await rolledToMs(pool));
    // Without a span: no rollup rows ($5 = $6), all of [from, to) as the head, no tail.
    const startMs = span?.startMs ?? q.toMs;
    const endMs = span?.endMs ?? q.toMs;
    r = await pool.query<SeriesRow>(plainBucketSql(q.bucket), [q.pointIds, q.fromMs, q.toMs, limit, startMs, endMs, startMs, endMs]);
  }
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

/**
 * `latestOfPoints` (the registry data and latest reading of every point of an enterprise or
 * hazard source in scope) as the JSON text of its array, built by PostgreSQL (one
 * backward index probe into `readings` per point): the API sends it as it comes. At 10,000 points, parsing 10 columns per
 * row into objects and serialising them again cost more Node CPU than the query itself.
 * Same rows, order, scope filter and field values as `latestOfPoints`.
 */
export async function latestOfPointsJson(db: Pool | PoolClient, scope: DataScope, of: { enterpriseId: string } | { hazardSourceId: string }): Promise<string> {
  const r = await db.query<{ items: string }>(
    `SELECT coalesce(json_agg(x ORDER BY x."pointId"), '[]')::text AS items
       FROM (SELECT p.id AS "pointId", p.device_id AS "deviceId", p.channel, p.hazard_source_id AS "hazardSourceId", p.name, p.kind, p.unit,
                    round(extract(epoch FROM l.time) * 1000)::int8 AS ts, l.value,
                    CASE WHEN l.quality IS NULL THEN NULL WHEN l.quality = 0 THEN 'good' WHEN l.quality = 2 THEN 'maintenance' ELSE 'fault' END AS quality
               FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
               LEFT JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l ON true
              WHERE ${inScope('e')} AND ($3::text IS NULL OR d.enterprise_id = $3) AND ($4::text IS NULL OR p.hazard_source_id = $4)) x`,
    [...scopeArgs(scope), 'enterpriseId' in of ? of.enterpriseId : null, 'hazardSourceId' in of ? of.hazardSourceId : null],
  );
  return r.rows[0]?.items ?? '[]';
}

/** The registry part of the latest-values answer: the same rows, scope filter and order as `latestOfPoints`. */
function latestScopeSql(select: string, probe = true): string {
  return `SELECT ${select}
            FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
            ${probe ? 'LEFT JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l ON true' : ''}
           WHERE ${inScope('e')} AND ($3::text IS NULL OR d.enterprise_id = $3) AND ($4::text IS NULL OR p.hazard_source_id = $4)`;
}

type LatestOf = { enterpriseId: string } | { hazardSourceId: string };
const latestArgs = (scope: DataScope, of: LatestOf) => [
  ...scopeArgs(scope),
  'enterpriseId' in of ? of.enterpriseId : null,
  'hazardSourceId' in of ? of.hazardSourceId : null,
];

/**
 * Changes whenever the selected points change: their number, or any of their `updated_at`
 * (every registry write sets it). Lets a caller keep the registry part of an answer.
 */
const REGISTRY_FINGERPRINT = `count(p.id) || ':' || coalesce(sum(date_part('epoch', p.updated_at)), 0) || ':' || coalesce(max(p.updated_at)::text, '')`;

/** Registry fields of the points `latestOfPoints` would answer, with the fingerprint of that set. */
export async function latestRegistryOf(
  db: Pool | PoolClient,
  scope: DataScope,
  of: LatestOf,
): Promise<{
  fingerprint: string;
  points: Array<{ pointId: number; deviceId: string; channel: string; hazardSourceId: string; name: string | null; kind: string; unit: string }>;
}> {
  const r = await db.query<{ fingerprint: string; points: string }>(
    latestScopeSql(
      `${REGISTRY_FINGERPRINT} AS fingerprint,
        coalesce(json_agg(json_build_object('pointId', p.id, 'deviceId', p.device_id, 'channel', p.channel, 'hazardSourceId', p.hazard_source_id,
                                            'name', p.name, 'kind', p.kind, 'unit', p.unit) ORDER BY p.id), '[]')::text AS points`,
      false,
    ),
    latestArgs(scope, of),
  );
  return { fingerprint: r.rows[0]?.fingerprint ?? '', points: JSON.parse(r.rows[0]?.points ?? '[]') };
}

/**
 * The changing part of `latestOfPoints`, compact: `id,ts,value,quality` per point (empty
 * fields for a point that never reported), `;`-separated in point order, by one
 * backward index probe into `readings` per point, with the registry fingerprint of the same rows.
 */
export async function latestValuesOf(db: Pool | PoolClient, scope: DataScope, of: LatestOf): Promise<{ fingerprint: string; values: string }> {
  const r = await db.query<{ fingerprint: string; values: string | null }>(
    latestScopeSql(`${REGISTRY_FINGERPRINT} AS fingerprint,
        string_agg(p.id || ',' || coalesce(round(date_part('epoch', l.time) * 1000)::int8::text, '') || ',' || coalesce(l.value::text, '') || ','
                   || coalesce(l.quality::text, ''), ';' ORDER BY p.id) AS values`),
    latestArgs(scope, of),
  );
  return { fingerprint: r.rows[0]?.fingerprint ?? '', values: r.rows[0]?.values ?? '' };
}

/**
 * The registry fingerprint alone (as `latestValuesOf` gives it, no probe into `readings`): lets a
 * caller whose values come from elsewhere (the Redis copy) check its kept registry part.
 */
export async function latestFingerprintOf(db: Pool | PoolClient, scope: DataScope, of: LatestOf): Promise<string> {
  const r = await db.query<{ fingerprint: string }>(latestScopeSql(`${REGISTRY_FINGERPRINT} AS fingerprint`, false), latestArgs(scope, of));
  return r.rows[0]?.fingerprint ?? '';
}

/**
 * Latest reading of each given point, by one backward index probe each, with nulls for a point
 * that has none (unlike `latestReadings`). For the points the Redis copy of the latest values
 * lacks (packages/queue latest-values.ts). Ids are not scope-checked here.
 */
export async function latestOfPointIds(
  db: Pool | PoolClient,
  pointIds: readonly number[],
): Promise<Array<{ pointId: number; ts: number | null; value: number | null; quality: Quality | null }>> {
  const r = await db.query<{ point_id: number; ts: string | null; value: number | null; quality: number | null }>(
    `SELECT p.id AS point_id, round(date_part('epoch', l.time) * 1000)::int8::text AS ts, l.value, l.quality
       FROM unnest($1::int4[]) AS p(id)
       LEFT JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l ON true`,
    [pointIds],
  );
  return r.rows.map((x) => ({
    pointId: x.point_id,
    ts: x.ts === null ? null : Number(x.ts),
    value: x.value,
    quality: x.quality === null ? null : (QUALITY_OF_CODE[x.quality] ?? 'fault'),
  }));
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
