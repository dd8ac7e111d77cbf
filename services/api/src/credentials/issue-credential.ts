import { randomBytes } from 'node:crypto';
import { type DataScope, hashMosquittoPassword, type Pool, type PoolClient, setMqttCredential } from '@hazardwatch/db';

/**
 * Give a device or vehicle terminal a new broker password: returns it (to show once)
 * and stores only its Mosquitto hash. Null when the device/vehicle is not in scope.
 */
export async function issueMqttCredential(
  db: Pool | PoolClient,
  scope: DataScope,
  target: { kind: 'device' | 'vehicle'; id: string },
): Promise<{ username: string; password: string } | null> {
  const password = generateMqttPassword();
  const ok = await setMqttCredential(db, scope, { ...target, passwordHash: hashMosquittoPassword(password) });
  return ok ? { username: target.id, password } : null;
}

/**
 * A new broker password: 24 random bytes, base64url (32 characters, no `:` so the password file stays parseable).
 * 192 random bits is why Mosquitto's default 101 PBKDF2 iterations are enough.
 */
function generateMqttPassword(): string {
  return randomBytes(24).toString('base64url');
}
