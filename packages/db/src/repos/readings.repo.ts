import type { Quality } from '@hazardwatch/contracts';
import { type StorageMode, storageMode } from '../migrate.js';
import type { Pool, PoolClient } from '../pool.js';
import { type DataScope, inScope, scopeArgs } from './registry-admin.repo.js';
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

const modes = new WeakMap<Pool, StorageMode>();

/** The storage mode, asked once per pool: a migrated database keeps its mode for life. */
async function cachedStorageMode(pool: Pool): Promise<StorageMode> {
  const known = modes.get(pool);
  if (known) return known;
  const mode = await storageMode(pool);
  modes.set(pool, mode);
  return mode;
}

/** Bucketed series: TimescaleDB's continuous aggregates, or computed on read on plain PostgreSQL. */
function bucketSql(mode: StorageMode, bucket: '1m' | '1h'): string {
  if (mode === 'timescale')
    return `SELECT point_id, (extract(epoch FROM bucket) * 1000)::float8 AS ts, avg, min, max, last, samples
              FROM readings_${bucket}
             WHERE point_id = ANY($1::int4[]) AND bucket >= to_timestamp($2 / 1000.0) AND bucket < to_timestamp($3 / 1000.0)
             ORDER BY point_id, bucket LIMIT $4`;
  const width = bucket === '1m' ? '1 minute' : '1 hour';
  return `SELECT point_id, (extract(epoch FROM b) * 1000)::float8 AS ts, avg(value) AS avg, min(value) AS min, max(value) AS max,
                 (array_agg(value ORDER BY time DESC))[1] AS last, count(*) AS samples
            FROM (SELECT point_id, time, value, date_bin(INTERVAL '${width}', time, TIMESTAMPTZ 'epoch') AS b FROM readings
                   WHERE point_id = ANY($1::int4[]) AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)) s
           GROUP BY point_id, b ORDER BY point_id, b LIMIT $4`;
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
  const sql = bucketSql(await cachedStorageMode(pool), q.bucket);
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
function latestScopeSql(select: string): string {
  return `SELECT ${select}
            FROM measuring_points p JOIN devices d ON d.id = p.device_id JOIN enterprises e ON e.id = d.enterprise_id
            LEFT JOIN LATERAL (SELECT time, value, quality FROM readings r WHERE r.point_id = p.id ORDER BY time DESC LIMIT 1) l ON true
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
    latestScopeSql(`${REGISTRY_FINGERPRINT} AS fingerprint,
        coalesce(json_agg(json_build_object('pointId', p.id, 'deviceId', p.device_id, 'channel', p.channel, 'hazardSourceId', p.hazard_source_id,
                                            'name', p.name, 'kind', p.kind, 'unit', p.unit) ORDER BY p.id), '[]')::text AS points`),
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
