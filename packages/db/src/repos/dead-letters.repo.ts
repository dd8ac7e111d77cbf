import type { Pool } from '../pool.js';

export interface DeadLetter {
  id: number;
  receivedAt: number;
  topic: string;
  enterpriseId: string | null;
  deviceId: string | null;
  reason: string;
  detail: string;
  /** The stored payload as text when it is UTF-8, else base64 (see `payloadEncoding`). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  truncated: boolean;
}

/** Dead letters, newest first, optionally of one enterprise; `beforeId` is the page cursor. */
export async function listDeadLetters(
  pool: Pool,
  q: { enterpriseId?: string; reason?: string; beforeId?: number; limit?: number } = {},
): Promise<DeadLetter[]> {
  const r = await pool.query(
    `SELECT id, (extract(epoch FROM received_at) * 1000)::float8 AS received_at, topic, enterprise_id, device_id, reason, detail,
            payload, payload_bytes, truncated
       FROM dead_letters
      WHERE ($1::text IS NULL OR enterprise_id = $1) AND ($2::text IS NULL OR reason = $2) AND ($3::int8 IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [q.enterpriseId ?? null, q.reason ?? null, q.beforeId ?? null, q.limit ?? 100],
  );
  return r.rows.map((x) => ({
    id: x.id,
    receivedAt: x.received_at,
    topic: x.topic,
    enterpriseId: x.enterprise_id,
    deviceId: x.device_id,
    reason: x.reason,
    detail: x.detail,
    ...decodePayload(x.payload as Buffer),
    payloadBytes: x.payload_bytes,
    truncated: x.truncated,
  }));
}

/** Dead letters per reason (for tests and the integrator's overview). */
export async function countDeadLettersByReason(pool: Pool, enterpriseId?: string): Promise<Record<string, number>> {
  const r = await pool.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int8 AS n FROM dead_letters WHERE ($1::text IS NULL OR enterprise_id = $1) GROUP BY reason`,
    [enterpriseId ?? null],
  );
  return Object.fromEntries(r.rows.map((x) => [x.reason, x.n]));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodePayload(b: Buffer): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  try {
    return { payload: utf8.decode(b), payloadEncoding: 'utf8' };
  } catch {
    return { payload: b.toString('base64'), payloadEncoding: 'base64' };
  }
}
