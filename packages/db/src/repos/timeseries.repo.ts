import type { JobDeviceStatus, JobPosition, JobReading, Quality } from '@hazardwatch/contracts';
import { cachedStorageMode } from '../migrate.js';
import type { Pool, PoolClient } from '../pool.js';
import { pgSafeText } from '../transient.js';
import { beginWithRollupFence, MINUTE_MS, recordPendingMinutes } from './rollup.repo.js';

export const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, fault: 1, maintenance: 2 };
export const QUALITY_OF_CODE: readonly Quality[] = ['good', 'fault', 'maintenance'];

export interface DeadLetterRow {
  topic: string;
  enterpriseId: string | null;
  deviceId: string | null;
  reason: string;
  detail: string;
  payload: Buffer;
  payloadBytes: number;
  truncated: boolean;
}

export interface IngestBatchRows {
  readings: JobReading[];
  positions: JobPosition[];
  statuses: Array<JobDeviceStatus & { detail: Record<string, unknown> }>;
  deadLetters: DeadLetterRow[];
}

export interface IngestBatchResult {
  readingsInserted: number;
  positionsInserted: number;
  deadLetters: number;
}

/**
 * Commit one ingest batch in one transaction: readings, positions, device
 * statuses and dead letters. Rows already stored (a redelivered message) are
 * skipped by the primary keys, so committing the same batch twice stores it once.
 * Arrays go as one parameter each (`unnest`): one round trip per table whatever
 * the batch size.
 */
export async function commitIngestBatch(pool: Pool, rows: IngestBatchRows): Promise<IngestBatchResult> {
  // Plain PostgreSQL keeps a rollup refreshed off this path; a reading older than its watermark
  // (rare: late or redelivered) marks its minute pending, in the same transaction.
  const rollup = (await cachedStorageMode(pool)) === 'plain';
  const client = await pool.connect();
  try {
    let pendingBelowMs: number | null = null;
    if (rollup) pendingBelowMs = await beginWithRollupFence(client);
    else await client.query('BEGIN');
    const result = await writeRows(client, rows, pendingBelowMs);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * A PostgreSQL array literal of finite numbers, `{1,2.5,3}`. Left to itself, pg
 * quotes and regex-escapes every element (`{"1","2.5","3"}`); numbers need
 * neither, and at thousands of readings per batch that per-element work was half
 * of the commit's client-side CPU (npm run bench -- ingest-commit). `String(n)`
 * is the shortest text that reads back as the same double.
 */
function numericArray(values: number[]): string {
  return `{${values.join(',')}}`;
}

async function writeRows(client: PoolClient, rows: IngestBatchRows, pendingBelowMs: number | null): Promise<IngestBatchResult> {
  let readingsInserted = 0;
  let positionsInserted = 0;
  if (rows.readings.length > 0) {
    const n = rows.readings.length;
    const ts = new Array<number>(n);
    const pid = new Array<number>(n);
    const val = new Array<number>(n);
    const q = new Array<number>(n);
    let late: Map<string, [number, number]> | undefined;
    rows.readings.forEach((r, i) => {
      ts[i] = r.ts;
      pid[i] = r.pointId;
      val[i] = r.value;
      q[i] = QUALITY_CODE[r.quality];
      if (pendingBelowMs !== null && r.ts < pendingBelowMs) {
        const minute = Math.floor(r.ts / MINUTE_MS) * MINUTE_MS;
        late ??= new Map();
        late.set(`${r.pointId}:${minute}`, [r.pointId, minute]);
      }
    });
    // No per-point "latest" table is kept here: upserting one in this statement cost 56–83 %
    // more PostgreSQL CPU per row (docs/benchmarks.md, API), taken from ingest, which is the
    // pipeline's limit on two cores. The latest values are read by backward index probes.
    const r = await client.query({
      name: 'hw_insert_readings',
      text: `INSERT INTO readings (time, point_id, value, quality)
             SELECT to_timestamp(t / 1000.0), p, v, q FROM unnest($1::float8[], $2::int4[], $3::float8[], $4::int2[]) AS u(t, p, v, q)
             ON CONFLICT DO NOTHING`,
      values: [numericArray(ts), numericArray(pid), numericArray(val), numericArray(q)],
    });
    readingsInserted = r.rowCount ?? 0;
    // Also for a reading the primary key absorbed (a redelivery): one needless re-aggregation, never a lost one.
    if (late) {
      const minutes = [...late.values()];
      await recordPendingMinutes(
        client,
        minutes.map(([p]) => p),
        minutes.map(([, m]) => m),
      );
    }
  }
  if (rows.positions.length > 0) {
    const p = rows.positions;
    const r = await client.query({
      name: 'hw_insert_positions',
      text: `INSERT INTO positions (time, vehicle_id, lat, lon, speed_kmh, heading, altitude_m, acc_on, alarm_flags)
             SELECT to_timestamp(t / 1000.0), v, la, lo, s, h, a, acc, f
               FROM unnest($1::float8[], $2::text[], $3::float8[], $4::float8[], $5::float4[], $6::float4[], $7::float4[], $8::bool[], $9::int8[])
                 AS u(t, v, la, lo, s, h, a, acc, f)
             ON CONFLICT DO NOTHING`,
      values: [
        p.map((x) => x.ts),
        p.map((x) => x.vehicleId),
        p.map((x) => x.lat),
        p.map((x) => x.lon),
        p.map((x) => x.speedKmh),
        p.map((x) => x.heading),
        p.map((x) => x.altitudeM ?? null),
        p.map((x) => x.accOn),
        p.map((x) => x.alarmFlags),
      ],
    });
    positionsInserted = r.rowCount ?? 0;
  }
  for (const s of rows.statuses) {
    // Only a newer report replaces the stored one (a retained message may arrive late).
    await client.query(
      `INSERT INTO device_status (device_id, online, reported_at, detail) VALUES ($1, $2, to_timestamp($3 / 1000.0), $4)
       ON CONFLICT (device_id) DO UPDATE SET online = EXCLUDED.online, reported_at = EXCLUDED.reported_at, detail = EXCLUDED.detail, updated_at = now()
       WHERE device_status.reported_at <= EXCLUDED.reported_at`,
      [s.deviceId, s.online, s.ts, JSON.stringify(s.detail)],
    );
  }
  if (rows.deadLetters.length > 0) {
    const d = rows.deadLetters;
    await client.query({
      name: 'hw_insert_dead_letters',
      text: `INSERT INTO dead_letters (topic, enterprise_id, device_id, reason, detail, payload, payload_bytes, truncated)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::int4[], $8::bool[])`,
      values: [
        // Text from the wire may hold NUL or broken UTF-16: it must never make the batch fail.
        d.map((x) => pgSafeText(x.topic)),
        d.map((x) => (x.enterpriseId === null ? null : pgSafeText(x.enterpriseId))),
        d.map((x) => (x.deviceId === null ? null : pgSafeText(x.deviceId))),
        d.map((x) => x.reason),
        d.map((x) => pgSafeText(x.detail)),
        d.map((x) => x.payload),
        d.map((x) => x.payloadBytes),
        d.map((x) => x.truncated),
      ],
    });
  }
  return { readingsInserted, positionsInserted, deadLetters: rows.deadLetters.length };
}
