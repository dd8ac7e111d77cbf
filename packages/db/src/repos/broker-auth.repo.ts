import type { Pool, PoolClient } from '../pool.js';

type Queryable = Pool | PoolClient;

/** One MQTT terminal of the registry (an instrument device or a vehicle terminal) and its broker credential, if it has one. */
export interface BrokerTerminal {
  terminal: 'device' | 'vehicle';
  /** The id the terminal uses in its topics (`hw/v1/{enterpriseId}/{terminalId}/…`). */
  terminalId: string;
  /** The enterprise the registry puts the terminal in now: the only one its topics may name. */
  enterpriseId: string;
  /** Broker username; null when no credential was issued. */
  username: string | null;
  /** Mosquitto password-file hash (`$7$…`); null when no credential was issued. */
  passwordHash: string | null;
  /** The enterprise recorded on the credential when it was issued (differs only if the terminal moved since). */
  credentialEnterpriseId: string | null;
}

/**
 * Every device and vehicle terminal of the registry with its broker credential
 * (`mqtt_credentials`, issued by the API), ordered by terminal id so the generated
 * files are stable from run to run.
 */
export async function listBrokerTerminals(db: Queryable): Promise<BrokerTerminal[]> {
  const r = await db.query<{
    terminal: 'device' | 'vehicle';
    terminal_id: string;
    enterprise_id: string;
    username: string | null;
    password_hash: string | null;
    credential_enterprise_id: string | null;
  }>(
    `SELECT 'device' AS terminal, d.id AS terminal_id, d.enterprise_id, c.username, c.password_hash, c.enterprise_id AS credential_enterprise_id
       FROM devices d LEFT JOIN mqtt_credentials c ON c.device_id = d.id
     UNION ALL
     SELECT 'vehicle', v.id, v.enterprise_id, c.username, c.password_hash, c.enterprise_id
       FROM vehicles v LEFT JOIN mqtt_credentials c ON c.vehicle_id = v.id
     ORDER BY 2, 1`,
  );
  return r.rows.map((x) => ({
    terminal: x.terminal,
    terminalId: x.terminal_id,
    enterpriseId: x.enterprise_id,
    username: x.username,
    passwordHash: x.password_hash,
    credentialEnterpriseId: x.credential_enterprise_id,
  }));
}
