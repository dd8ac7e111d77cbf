import type { Pool, PoolClient } from '../pool.js';
import type { DataScope } from './registry-admin.repo.js';
import { scopeArgs } from './registry-admin.repo.js';

type Queryable = Pool | PoolClient;

/** An API key as stored, without its hash. Times are epoch ms. `role` is checked by the API's schema. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: string;
  enterpriseId: string | null;
  regionPrefix: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
  lastUsedAt: number | null;
  bootstrap: boolean;
}

const COLUMNS = `k.id, k.name, k.role, k.enterprise_id, k.region_prefix, k.created_by, k.bootstrap, k.revoked_by,
  (extract(epoch FROM k.created_at) * 1000)::float8 AS created_at, (extract(epoch FROM k.expires_at) * 1000)::float8 AS expires_at,
  (extract(epoch FROM k.revoked_at) * 1000)::float8 AS revoked_at, (extract(epoch FROM k.last_used_at) * 1000)::float8 AS last_used_at`;

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

function recordOf(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    role: String(row.role),
    enterpriseId: row.enterprise_id === null ? null : String(row.enterprise_id),
    regionPrefix: row.region_prefix === null ? null : String(row.region_prefix),
    createdBy: String(row.created_by),
    createdAt: ms(row.created_at) ?? 0,
    expiresAt: ms(row.expires_at),
    revokedAt: ms(row.revoked_at),
    revokedBy: row.revoked_by === null ? null : String(row.revoked_by),
    lastUsedAt: ms(row.last_used_at),
    bootstrap: row.bootstrap === true,
  };
}

export interface NewApiKeyRow {
  id: string;
  /** SHA-256 of the whole key. */
  keyHash: Buffer;
  name: string;
  role: string;
  enterpriseId: string | null;
  regionPrefix: string | null;
  createdBy: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  /** The first-start admin key: at most one is ever inserted. */
  bootstrap?: boolean;
}

/**
 * Store a key's hash. Returns the record, or null when `bootstrap` is set and a
 * bootstrap key exists already (concurrent first starts create exactly one).
 */
export async function insertApiKey(db: Queryable, k: NewApiKeyRow): Promise<ApiKeyRecord | null> {
  const r = await db.query(
    `INSERT INTO api_keys AS k (id, key_hash, name, role, enterprise_id, region_prefix, created_by, created_at, expires_at, bootstrap)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), to_timestamp($9 / 1000.0), $10)
     ON CONFLICT (bootstrap) WHERE bootstrap DO NOTHING
     RETURNING ${COLUMNS}`,
    [k.id, k.keyHash, k.name, k.role, k.enterpriseId, k.regionPrefix, k.createdBy, k.createdAtMs, k.expiresAtMs, k.bootstrap ?? false],
  );
  return r.rows[0] ? recordOf(r.rows[0]) : null;
}

/** The key with this id and its hash, for authentication (no scope: the caller is not known yet). */
export async function findApiKeyForAuth(db: Queryable, id: string): Promise<{ record: ApiKeyRecord; keyHash: Buffer } | null> {
  const r = await db.query(`SELECT ${COLUMNS}, k.key_hash FROM api_keys k WHERE k.id = $1`, [id]);
  const row = r.rows[0];
  return row ? { record: recordOf(row), keyHash: row.key_hash as Buffer } : null;
}

/** Note a use of the key, at most once a minute per key (keeps writes off the hot path). */
export async function touchApiKey(db: Queryable, id: string, nowMs: number): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used_at = to_timestamp($2 / 1000.0)
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < to_timestamp($2 / 1000.0) - interval '1 minute')`,
    [id, nowMs],
  );
}

/**
 * Keys visible in a scope: all for `all`; an enterprise's own keys for `enterprise`; keys of
 * enterprises in the region for `region` (admin and regulator keys belong to no enterprise).
 */
const KEY_SCOPE = `($1::text IS NULL OR k.enterprise_id = $1) AND ($2::text IS NULL OR e.region_code LIKE $2 || '%')`;

export async function listApiKeys(
  db: Queryable,
  scope: DataScope,
  q: { after?: string | undefined; limit: number; includeRevoked: boolean; enterpriseId?: string | undefined },
): Promise<ApiKeyRecord[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM api_keys k LEFT JOIN enterprises e ON e.id = k.enterprise_id
      WHERE ${KEY_SCOPE} AND ($3::text IS NULL OR k.id > $3) AND ($4::bool OR k.revoked_at IS NULL) AND ($5::text IS NULL OR k.enterprise_id = $5)
      ORDER BY k.id LIMIT $6`,
    [...scopeArgs(scope), q.after ?? null, q.includeRevoked, q.enterpriseId ?? null, q.limit],
  );
  return r.rows.map(recordOf);
}

export async function getApiKey(db: Queryable, scope: DataScope, id: string): Promise<ApiKeyRecord | null> {
  const r = await db.query(`SELECT ${COLUMNS} FROM api_keys k LEFT JOIN enterprises e ON e.id = k.enterprise_id WHERE ${KEY_SCOPE} AND k.id = $3`, [
    ...scopeArgs(scope),
    id,
  ]);
  return r.rows[0] ? recordOf(r.rows[0]) : null;
}

/** Revoke a key in scope (a second revoke keeps the first time); null when not in scope. */
export async function revokeApiKey(db: Queryable, scope: DataScope, id: string, by: string, nowMs: number): Promise<ApiKeyRecord | null> {
  const r = await db.query(
    `UPDATE api_keys k SET revoked_at = COALESCE(k.revoked_at, to_timestamp($4 / 1000.0)), revoked_by = COALESCE(k.revoked_by, $5)
       FROM api_keys x LEFT JOIN enterprises e ON e.id = x.enterprise_id
      WHERE x.id = k.id AND ${KEY_SCOPE.replaceAll('k.enterprise_id', 'x.enterprise_id')} AND k.id = $3
      RETURNING ${COLUMNS}`,
    [...scopeArgs(scope), id, nowMs, by],
  );
  return r.rows[0] ? recordOf(r.rows[0]) : null;
}

/** Bring a key's expiry forward to `expiresAtMs` (never later than it was); null when not in scope. */
export async function shortenApiKeyExpiry(db: Queryable, scope: DataScope, id: string, expiresAtMs: number): Promise<ApiKeyRecord | null> {
  const r = await db.query(
    `UPDATE api_keys k SET expires_at = LEAST(COALESCE(k.expires_at, 'infinity'::timestamptz), to_timestamp($4 / 1000.0))
       FROM api_keys x LEFT JOIN enterprises e ON e.id = x.enterprise_id
      WHERE x.id = k.id AND ${KEY_SCOPE.replaceAll('k.enterprise_id', 'x.enterprise_id')} AND k.id = $3
      RETURNING ${COLUMNS}`,
    [...scopeArgs(scope), id, expiresAtMs],
  );
  return r.rows[0] ? recordOf(r.rows[0]) : null;
}

/** Admin keys that still authenticate at `nowMs` (so the last one is not revoked by mistake). */
export async function countActiveAdminKeys(db: Queryable, nowMs: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM api_keys
      WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > to_timestamp($1 / 1000.0))`,
    [nowMs],
  );
  return r.rows[0]?.n ?? 0;
}
