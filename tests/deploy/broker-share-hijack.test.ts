import { createTestDatabase, type TestDatabase, waitFor } from '@hazardwatch/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBrokerAuth, type ServiceAccountInput } from '../../deploy/broker-auth/src/generate.js';
import { hashMosquittoPassword } from '../../deploy/broker-auth/src/mosquitto-password.js';
import { type AuthBroker, startAuthBroker } from './support/auth-broker.js';

/**
 * Issue 8's known hole, measured on a real Mosquitto running the shipped configuration:
 * an authenticated device that knows (or guesses) ingest's share group subscribes to
 * `$share/<group>/hw/v1/#` next to ingest. Mosquitto's acl_file does not check SUBSCRIBE,
 * so the device joins the group; the broker then assigns it its round-robin share of
 * every message and drops that share at delivery (the device may not read). The
 * publishers still get their PUBACKs, so nothing reports the loss.
 */

const SHARE_GROUP = 'ingest-7f3a9c2e';
const INGEST: ServiceAccountInput = { role: 'ingest', username: 'hw-ingest', password: 'ingest-secret-0123456789', shareGroup: SHARE_GROUP };
const PASSWORDS = { 'gas-01': 'gas-01-secret-pw', 'gas-02': 'gas-02-secret-pw' } as const;
const N = 40;

async function connect(url: string, opts: { username: string; password: string; clientId?: string }): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, clean: true, ...opts });
  client.on('error', () => undefined);
  return client;
}

describe('a device joining ingest shared subscription (real mosquitto, shipped config)', () => {
  let db: TestDatabase;
  let broker: AuthBroker;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO enterprises (id, name, region_code) VALUES ('ent-a', 'A Chemical', '370321')`);
    await db.pool.query(`INSERT INTO devices (id, enterprise_id) VALUES ('gas-01', 'ent-a'), ('gas-02', 'ent-a')`);
    for (const id of ['gas-01', 'gas-02'] as const)
      await db.pool.query(`INSERT INTO mqtt_credentials (username, enterprise_id, device_id, password_hash) VALUES ($1, 'ent-a', $1, $2)`, [
        id,
        hashMosquittoPassword(PASSWORDS[id]),
      ]);
    broker = await startAuthBroker(async (dir) => {
      await generateBrokerAuth({ pool: db.pool, outDir: dir, services: [INGEST], topicPrefix: '' });
    });
  });

  afterAll(async () => {
    await broker?.dispose();
    await db?.drop();
  });

  it(`ingest loses a share of ${N} acknowledged messages to a device subscribed to $share/<group>/hw/v1/#`, async () => {
    const ingest = await connect(broker.serviceUrl, { username: INGEST.username, password: INGEST.password, clientId: 'hw-ingest-test-0' });
    const thief = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] });
    const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
    const received: string[] = [];
    const stolen: string[] = [];
    ingest.on('message', (_t, p) => received.push(p.toString()));
    thief.on('message', (_t, p) => stolen.push(p.toString()));
    try {
      await ingest.subscribeAsync(`$share/${SHARE_GROUP}/hw/v1/#`, { qos: 1 });
      const granted = await thief.subscribeAsync(`$share/${SHARE_GROUP}/hw/v1/#`, { qos: 1 });
      let acked = 0;
      for (let i = 0; i < N; i++) {
        await dev.publishAsync('hw/v1/ent-a/gas-01/telemetry', `n${i}`, { qos: 1 });
        acked++;
      }
      // Every publish is acknowledged by now; give deliveries half a second more to land.
      await waitFor(() => received.length >= N / 2, { what: 'ingest to receive its share', timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 500));
      console.info(`share hijack: granted ${JSON.stringify(granted.map((g) => g.qos))}, acked ${acked}/${N}, ingest received ${received.length}, device received ${stolen.length}`);
      expect(acked).toBe(N);
      expect(granted.map((g) => g.qos)).toEqual([1]);
      expect(stolen).toEqual([]);
      // The hole: ingest gets only part of what the broker acknowledged.
      expect(received.length).toBeLessThan(N);
    } finally {
      await Promise.all([ingest.endAsync(), thief.endAsync(), dev.endAsync()]);
    }
  });
});
