import { type DataScope, type Pool, type PoolClient, setMqttCredential } from '@hazardwatch/db';
import { generateMqttPassword, mosquittoPasswordHash } from './mosquitto-password.js';

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
  const ok = await setMqttCredential(db, scope, { ...target, passwordHash: mosquittoPasswordHash(password) });
  return ok ? { username: target.id, password } : null;
}
