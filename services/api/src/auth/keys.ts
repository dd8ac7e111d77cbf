import { type ApiKeyRecord, insertApiKey, type Pool } from '@hazardwatch/db';
import { type Clock, systemClock } from '../deps.js';
import { ApiError } from '../errors.js';
import { type ApiKeyView, ApiKeyViewSchema, type NewApiKey } from '../schemas/api-key.js';
import { generateApiKey } from './api-key.js';

/** Keys expire after a year unless told otherwise. */
export const DEFAULT_KEY_LIFETIME_MS = 365 * 86_400_000;

export function apiKeyView(r: ApiKeyRecord): ApiKeyView {
  return ApiKeyViewSchema.parse(r);
}

/** Create a key: returns its record and the key itself (to show once; only its hash is stored). */
export async function createApiKey(pool: Pool, input: NewApiKey, opts: { createdBy: string; nowMs: number }): Promise<{ record: ApiKeyRecord; key: string }> {
  const expiresAtMs = input.expiresAt === undefined ? opts.nowMs + DEFAULT_KEY_LIFETIME_MS : input.expiresAt;
  if (expiresAtMs !== null && expiresAtMs <= opts.nowMs)
    throw new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path: 'body.expiresAt', message: 'must be in the future' }]);
  const g = generateApiKey();
  const record = await insertApiKey(pool, {
    id: g.id,
    keyHash: g.hash,
    name: input.name,
    role: input.role,
    enterpriseId: 'enterpriseId' in input ? input.enterpriseId : null,
    regionPrefix: 'regionPrefix' in input ? input.regionPrefix : null,
    createdBy: opts.createdBy,
    createdAtMs: opts.nowMs,
    expiresAtMs,
  });
  if (!record) throw new ApiError('HW_API_INTERNAL', 'internal error');
  return { record, key: g.key };
}

/**
 * Create the first admin key on first start and return it, once: `npm start` prints it.
 * Every later call (and every concurrent first start but one) returns null, even when that
 * key has been revoked since: it is never re-created. Only its SHA-256 is stored. The key
 * does not expire; create personal keys with it, then revoke it (see the README).
 */
export async function ensureAdminKey(pool: Pool, opts: { clock?: Clock } = {}): Promise<{ id: string; key: string } | null> {
  const g = generateApiKey();
  const record = await insertApiKey(pool, {
    id: g.id,
    keyHash: g.hash,
    name: 'bootstrap admin (created on first start)',
    role: 'admin',
    enterpriseId: null,
    regionPrefix: null,
    createdBy: 'system',
    createdAtMs: (opts.clock ?? systemClock).now(),
    expiresAtMs: null,
    bootstrap: true,
  });
  return record ? { id: record.id, key: g.key } : null;
}
