import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashMosquittoPassword } from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBrokerAuth, type ServiceAccountInput } from '../../deploy/broker-auth/src/generate.js';
import { type AuthBroker, startAuthBroker } from './support/auth-broker.js';
import { connect, subscribe } from './support/mqtt.js';

/**
 * Issue 8's share-group hole, on a real Mosquitto: an authenticated device that knows (or
 * guesses) ingest's share group subscribes to `$share/<group>/hw/v1/#` next to ingest.
 *
 * With the acl_file configuration shipped before (password file + `acl_file`), Mosquitto
 * does not check SUBSCRIBE: the device joins the group, the broker assigns it its
 * round-robin share of every message and drops that share at delivery (the device may not
 * read it). Publishers still get their PUBACKs, so nothing reports the loss. With the
 * shipped configuration (the dynamic security plugin) the SUBSCRIBE is refused and ingest
 * receives everything.
 */

const SHARE_GROUP = 'ingest-7f3a9c2e';
const INGEST: ServiceAccountInput = { role: 'ingest', username: 'hw-ingest', password: 'ingest-secret-0123456789', shareGroup: SHARE_GROUP };
const ADMIN: ServiceAccountInput = { role: 'admin', username: 'hw-broker-admin', password: 'admin-secret-0123456789' };
const PASSWORDS = { 'gas-01': 'gas-01-secret-pw', 'gas-02': 'gas-02-secret-pw' } as const;
const N = 40;

/** What the acl_file of the earlier broker-auth said for these accounts (read grants for ingest, a write grant per device). */
const LEGACY_ACL = [
  'user hw-ingest',
  'topic read hw/v1/#',
  `topic read $share/${SHARE_GROUP}/hw/v1/#`,
  'user gas-01',
  'topic write hw/v1/ent-a/gas-01/#',
  'user gas-02',
  'topic write hw/v1/ent-a/gas-02/#',
  '',
].join('\n');

/** The shipped configuration with the plugin swapped for that acl_file. */
const legacyConfig = (shipped: string): string => {
  const edited = shipped.replace(/^plugin .*\nplugin_opt_config_file .*$/m, 'acl_file /mosquitto/auth/acl');
  if (edited === shipped) throw new Error('the shipped mosquitto.conf no longer has the plugin lines this test replaces');
  return edited;
};

/** Ingest and a thief in the same share group; a device publishes N QoS 1 messages. */
async function runHijack(broker: AuthBroker): Promise<{ thiefGranted: number; acked: number; ingestReceived: number; thiefReceived: number }> {
  const ingest = await connect(broker.serviceUrl, { username: INGEST.username, password: INGEST.password, clientId: 'hw-ingest-test-0' });
  const thief = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] });
  const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
  const received: string[] = [];
  const stolen: string[] = [];
  ingest.on('message', (_t, p) => received.push(p.toString()));
  thief.on('message', (_t, p) => stolen.push(p.toString()));
  try {
    expect(await subscribe(ingest, [`$share/${SHARE_GROUP}/hw/v1/#`])).toEqual([1]);
    const [thiefGranted = -1] = await subscribe(thief, [`$share/${SHARE_GROUP}/hw/v1/#`]);
    let acked = 0;
    for (let i = 0; i < N; i++) {
      await dev.publishAsync('hw/v1/ent-a/gas-01/telemetry', `n${i}`, { qos: 1 });
      acked++;
    }
    // Every publish is acknowledged by now: wait for ingest's half at least, then for stragglers.
    await waitFor(() => received.length >= N / 2, { what: 'ingest to receive at least its share', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    return { thiefGranted, acked, ingestReceived: received.length, thiefReceived: stolen.length };
  } finally {
    await Promise.all([ingest.endAsync(), thief.endAsync(), dev.endAsync()]);
  }
}

describe('a device joining ingest shared subscription (real mosquitto)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO enterprises (id, name, region_code) VALUES ('ent-a', 'A Chemical', '370321')`);
    await db.pool.query(`INSERT INTO devices (id, enterprise_id) VALUES ('gas-01', 'ent-a'), ('gas-02', 'ent-a')`);
    for (const id of ['gas-01', 'gas-02'] as const)
      await db.pool.query(`INSERT INTO mqtt_credentials (username, enterprise_id, device_id, password_hash) VALUES ($1, 'ent-a', $1, $2)`, [
        id,
        hashMosquittoPassword(PASSWORDS[id]),
      ]);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it(`with the former acl_file configuration, ingest loses the device's share of ${N} acknowledged messages`, async () => {
    const broker = await startAuthBroker(
      async (dir) => {
        await generateBrokerAuth({ pool: db.pool, outDir: dir, services: [INGEST, ADMIN], topicPrefix: '' });
        await writeFile(join(dir, 'acl'), LEGACY_ACL, { mode: 0o600 });
      },
      { editConfig: legacyConfig },
    );
    try {
      const r = await runHijack(broker);
      expect(r.acked).toBe(N);
      // SUBACK granted QoS 1: acl_file lets any authenticated client subscribe to anything.
      expect(r.thiefGranted).toBe(1);
      expect(r.thiefReceived).toBe(0);
      // Round robin over two members: ingest gets every other message (measured: 20 of 40).
      expect(r.ingestReceived).toBeLessThan(N);
      expect(r.ingestReceived).toBeGreaterThanOrEqual(N / 2);
    } finally {
      await broker.dispose();
    }
  });

  it(`with the shipped configuration (dynamic security), the subscription is refused and ingest receives all ${N}`, async () => {
    const broker = await startAuthBroker(async (dir) => {
      await generateBrokerAuth({ pool: db.pool, outDir: dir, services: [INGEST, ADMIN], topicPrefix: '' });
    });
    try {
      const r = await runHijack(broker);
      expect(r.acked).toBe(N);
      // MQTT 5 SUBACK reason 135: not authorized.
      expect(r.thiefGranted).toBe(135);
      expect(r.thiefReceived).toBe(0);
      expect(r.ingestReceived).toBe(N);
    } finally {
      await broker.dispose();
    }
  });
});
