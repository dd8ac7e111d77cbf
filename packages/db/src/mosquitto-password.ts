import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mosquitto's password-file hashes, as `mosquitto_passwd` writes them and the broker
 * reads them (mosquitto 2.0 src/password_mosq.c, src/security_default.c):
 *
 *   `$7$<iterations>$<base64 salt>$<base64 hash>`: PBKDF2-HMAC-SHA512 of the password
 *   with a 12-byte random salt, 64-byte output, 101 iterations by default;
 *   `$6$<base64 salt>$<base64 hash>`: the older SHA-512(password ‖ salt), read only.
 *
 * Base64 is the standard alphabet with padding (OpenSSL BIO, no newlines). The broker
 * drops an entry whose salt does not decode to exactly 12 bytes or whose hash does not
 * decode to exactly 64, so this module checks both too.
 *
 * It lives in db because it is the format of `mqtt_credentials.password_hash`: the api
 * writes it (issuing a terminal's credential) and deploy/broker-auth reads it back.
 */

/** `mosquitto_passwd`'s default (PW_DEFAULT_ITERATIONS); every login costs this many HMAC-SHA512 rounds on the broker. */
export const MOSQUITTO_DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

const B64 = '[A-Za-z0-9+/]+={0,2}';
const PBKDF2_RE = new RegExp(`^\\$7\\$([1-9][0-9]{0,8})\\$(${B64})\\$(${B64})$`);
const SHA512_RE = new RegExp(`^\\$6\\$(${B64})\\$(${B64})$`);

export interface ParsedMosquittoHash {
  kind: 'pbkdf2-sha512' | 'sha512';
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

/** The hash of a new password, in the `$7$` format; `salt` only for reproducible tests. */
export function hashMosquittoPassword(password: string, opts: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = opts.iterations ?? MOSQUITTO_DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`the salt must be ${SALT_BYTES} bytes (mosquitto rejects any other length)`);
  const hash = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Parse a hash the broker would accept; null for anything it would drop (or that could break a password-file line). */
export function parseMosquittoHash(text: string): ParsedMosquittoHash | null {
  const p = PBKDF2_RE.exec(text);
  if (p?.[1] && p[2] && p[3]) {
    const salt = Buffer.from(p[2], 'base64');
    const hash = Buffer.from(p[3], 'base64');
    if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return null;
    return { kind: 'pbkdf2-sha512', iterations: Number(p[1]), salt, hash };
  }
  const s = SHA512_RE.exec(text);
  if (s?.[1] && s[2]) {
    const salt = Buffer.from(s[1], 'base64');
    const hash = Buffer.from(s[2], 'base64');
    if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return null;
    return { kind: 'sha512', iterations: 1, salt, hash };
  }
  return null;
}

/** True when `password` matches the hash, as the broker would decide it (constant-time comparison). */
export function verifyMosquittoPassword(password: string, hashText: string): boolean {
  const parsed = parseMosquittoHash(hashText);
  if (!parsed) return false;
  const pw = Buffer.from(password, 'utf8');
  const candidate =
    parsed.kind === 'pbkdf2-sha512'
      ? pbkdf2Sync(pw, parsed.salt, parsed.iterations, HASH_BYTES, 'sha512')
      : // $6$: one SHA-512 over the password then the salt (pw__hash with pw_sha512).
        createHash('sha512')
          .update(pw)
          .update(parsed.salt)
          .digest();
  return timingSafeEqual(candidate, parsed.hash);
}
