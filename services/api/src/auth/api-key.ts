import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key format: `hwk_<id>_<secret>`, id 16 hex characters (public, the lookup key
 * and the key's name in logs and lists), secret 43 base64url characters (256 random bits).
 * Only SHA-256 of the whole key is stored: with 256 random bits a fast hash is safe
 * (there is nothing to brute-force), and it keeps authentication cheap.
 */
const KEY_PATTERN = /^hwk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  id: string;
  key: string;
  hash: Buffer;
}

export function generateApiKey(): GeneratedKey {
  const id = randomBytes(8).toString('hex');
  const key = `hwk_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The id part of a well-formed key, or null. */
export function apiKeyId(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: Buffer): boolean {
  const h = hashApiKey(key);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}

/** The key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`; null when neither is present. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? '';
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string') return x.trim();
  return null;
}
