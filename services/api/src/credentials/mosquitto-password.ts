import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mosquitto 2.x password-file hashes (`mosquitto_passwd`'s default, `$7$`):
 * `$7$<iterations>$<base64 salt (12 bytes)>$<base64 PBKDF2-HMAC-SHA512 (64 bytes)>`.
 * A `username:hash` line per client is a valid `password_file`.
 *
 * 101 iterations is Mosquitto's own default. Stretching protects guessable passwords;
 * ours are 192 random bits, so the broker's cost per connect matters more.
 */
export const MOSQUITTO_ITERATIONS = 101;

export function mosquittoPasswordHash(password: string, opts: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = opts.salt ?? randomBytes(12);
  const iterations = opts.iterations ?? MOSQUITTO_ITERATIONS;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Check a password against a `$7$` hash (for tests and a broker auth hook). */
export function verifyMosquittoPassword(password: string, encoded: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!m?.[1] || !m[2] || !m[3]) return false;
  const expected = Buffer.from(m[3], 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), Number(m[1]), expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}

/** A new broker password: 24 random bytes, base64url (32 characters, no `:` so the password file stays parseable). */
export function generateMqttPassword(): string {
  return randomBytes(24).toString('base64url');
}
