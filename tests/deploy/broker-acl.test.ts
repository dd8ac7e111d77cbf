import { readFile } from 'node:fs/promises';
import { hashMosquittoPassword } from '@hazardwatch/db';
import { createTestDatabase, freePort, type TestDatabase, waitFor } from '@hazardwatch/testkit';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynsecControlError } from '../../deploy/broker-auth/src/dynsec-control.js';
import { generateBrokerAuth, type ServiceAccountInput, signalBrokerReload } from '../../deploy/broker-auth/src/generate.js';
import { type AuthBroker, startAuthBroker } from './support/auth-broker.js';
import { connect, publish, refusal, subscribe } from './support/mqtt.js';

/**
 * The production broker's authentication and authorisation, end to end on a real Mosquitto
 * started with deploy/mosquitto/mosquitto.conf: the registry's credentials become the
 * password file and the dynamic security plugin's roles (broker-auth), the broker enforces
 * them, and later registry changes reach the running broker without a restart.
 */

/** The share group no longer needs to be secret (the plugin checks SUBSCRIBE); a real-looking one all the same. */
const SHARE_GROUP = 'ingest-7f3a9c2e';
const INGEST: ServiceAccountInput = { role: 'ingest', username: 'hw-ingest', password: 'ingest-secret-0123456789', shareGroup: SHARE_GROUP };
const ADMIN: ServiceAccountInput = { role: 'admin', username: 'hw-broker-admin', password: 'admin-secret-0123456789' };
const PASSWORDS = { 'gas-01': 'gas-01-secret-pw', 'gas-02': 'gas-02-secret-pw', 'truck-01': 'truck-01-secret-pw', 'dam-01': 'dam-01-secret-pw' };

describe('broker authentication and ACLs from the registry (real mosquitto)', () => {
  let db: TestDatabase;
  let broker: AuthBroker;
  let ingest: MqttClient;
  let ingestClosed = 0;
  const received: string[] = [];
  /** Before the broker runs: the files. Once it runs: over $CONTROL, as `npm run broker-auth -- --broker-url` does. */
  const generate = (outDir: string, brokerUrl?: string) => generateBrokerAuth({ pool: db.pool, outDir, services: [INGEST, ADMIN], topicPrefix: '', brokerUrl });

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO enterprises (id, name, region_code) VALUES ('ent-a', 'A Chemical', '370321'), ('ent-b', 'B Transport', '370400')`);
    await db.pool.query(`INSERT INTO devices (id, enterprise_id) VALUES ('gas-01', 'ent-a'), ('gas-02', 'ent-a'), ('dam-01', 'ent-b')`);
    await db.pool.query(`INSERT INTO vehicles (id, enterprise_id, plate) VALUES ('truck-01', 'ent-b', '鲁D·G0601')`);
    // Credentials as the API issues them (mqtt_credentials, 0005_api.sql): username = terminal id, only the hash stored.
    for (const [id, kind, ent] of [
      ['gas-01', 'device', 'ent-a'],
      ['gas-02', 'device', 'ent-a'],
      ['truck-01', 'vehicle', 'ent-b'],
    ] as const) {
      await db.pool.query(`INSERT INTO mqtt_credentials (username, enterprise_id, ${kind}_id, password_hash) VALUES ($1, $2, $1, $3)`, [
        id,
        ent,
        hashMosquittoPassword(PASSWORDS[id]),
      ]);
    }
    broker = await startAuthBroker(async (dir) => {
      const r = await generate(dir);
      expect(r.terminals).toBe(3);
      expect(r.skipped).toEqual([{ terminal: 'device', terminalId: 'dam-01', reason: 'no_credential' }]);
    });
    ingest = await connect(broker.serviceUrl, { username: INGEST.username, password: INGEST.password, clientId: 'hw-ingest-test-0' });
    ingest.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    ingest.on('close', () => {
      ingestClosed++;
    });
    expect(await subscribe(ingest, [`$share/${SHARE_GROUP}/hw/v1/#`])).toEqual([1]);
  });

  afterAll(async () => {
    await ingest?.endAsync().catch(() => undefined);
    await broker?.dispose();
    await db?.drop();
  });

  it('writes files mosquitto reads: $7$ PBKDF2-SHA512 hashes, and a role per account bound to its enterprise with no secret in it', async () => {
    const pw = await readFile(`${broker.authDir}/passwd`, 'utf8');
    expect(pw).toMatch(/^gas-01:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/m);
    expect(pw).toMatch(/^hw-broker-admin:\$7\$/m);
    expect(pw).not.toContain('dam-01');
    const text = await readFile(`${broker.authDir}/dynamic-security.json`, 'utf8');
    const dynsec = JSON.parse(text) as { roles: { rolename: string; acls: { acltype: string; topic: string }[] }[]; clients: { username: string }[] };
    const acls = (role: string) => dynsec.roles.find((r) => r.rolename === role)?.acls.map((a) => `${a.acltype} ${a.topic}`);
    expect(acls('hw-terminal:gas-01')).toEqual(['publishClientSend hw/v1/ent-a/gas-01/#']);
    expect(acls('hw-terminal:truck-01')).toEqual(['publishClientSend hw/v1/ent-b/truck-01/#']);
    expect(acls('hw-ingest:hw-ingest')).toEqual([`subscribeLiteral $share/${SHARE_GROUP}/hw/v1/#`, 'publishClientReceive hw/v1/#']);
    expect(dynsec.clients.map((c) => c.username).sort()).toEqual(['gas-01', 'gas-02', 'hw-broker-admin', 'hw-ingest', 'truck-01']);
    // Authentication is the password file's: the plugin's file carries no password, salt or hash.
    expect(text).not.toMatch(/"(password|salt|iterations)"/);
  });

  it('a device with the right password publishes to its own topics, and ingest (shared subscription) receives it', async () => {
    const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
    try {
      expect(await publish(dev, 'hw/v1/ent-a/gas-01/telemetry', 'own')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-a/gas-01/telemetry own'), { what: 'ingest to receive the device message', timeoutMs: 5000 });
    } finally {
      await dev.endAsync();
    }
  });

  it("a device may not publish to another device's topic nor under another enterprise, and ingest sees neither", async () => {
    // One refused publish per connection: Debian's mosquitto 2.0.11 (this machine, CI) stops reading a
    // client's QoS 1 publishes after refusing one when max_queued_messages is 0 (inflight quota bugs
    // fixed in 2.0.13); the image docker-compose.yml pins is newer.
    for (const [topic, payload] of [
      ['hw/v1/ent-a/gas-02/telemetry', 'other-device'],
      ['hw/v1/ent-b/gas-01/telemetry', 'other-enterprise'],
      ['hw/v1/ent-a/gas-01x/telemetry', 'prefix-of-own-id'],
    ] as const) {
      const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
      try {
        // MQTT 5 PUBACK reason 135 (not authorized): the broker drops the message.
        expect(await publish(dev, topic, payload), topic).toBe(135);
      } finally {
        await dev.endAsync();
      }
    }
    const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
    try {
      expect(await publish(dev, 'hw/v1/ent-a/gas-01/telemetry', 'marker')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-a/gas-01/telemetry marker'), { what: 'the marker', timeoutMs: 5000 });
      expect(received.filter((m) => /other-device|other-enterprise|prefix-of-own-id/.test(m))).toEqual([]);
    } finally {
      await dev.endAsync();
    }
  });

  it('a device may not subscribe at all, not even to its own topics; ingest misses nothing', async () => {
    const snoop = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] });
    const snooped: string[] = [];
    snoop.on('message', (topic) => snooped.push(topic));
    // MQTT 5 SUBACK reason 135 (not authorized) for each: the plugin checks SUBSCRIBE, so the device
    // cannot join ingest's share group (tests/deploy/broker-share-hijack.test.ts shows what that cost).
    expect(await subscribe(snoop, ['hw/v1/#', `$share/${SHARE_GROUP}/hw/v1/#`, '$share/ingest/hw/v1/#', 'hw/v1/ent-a/gas-02/#', '#'])).toEqual([
      135, 135, 135, 135, 135,
    ]);
    const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
    try {
      const before = received.length;
      for (let i = 0; i < 20; i++) expect(await publish(dev, 'hw/v1/ent-a/gas-01/telemetry', `n${i}`)).toBe('ok');
      await waitFor(() => received.length - before >= 20, { what: 'ingest to receive all 20', timeoutMs: 5000 });
      expect(received.slice(before).filter((m) => / n\d+$/.test(m))).toHaveLength(20);
      expect(snooped).toEqual([]);
    } finally {
      await dev.endAsync();
      await snoop.endAsync();
    }
  });

  it('ingest may subscribe only to its shared subscription, and may not publish', async () => {
    const other = await connect(broker.serviceUrl, { username: INGEST.username, password: INGEST.password, clientId: 'hw-ingest-test-x' });
    try {
      expect(await subscribe(other, ['hw/v1/#', '$share/other/hw/v1/#', '$CONTROL/dynamic-security/v1/response'])).toEqual([135, 135, 135]);
      expect(await publish(other, 'hw/v1/ent-a/gas-01/telemetry', 'forged-by-ingest')).toBe(135);
    } finally {
      await other.endAsync();
    }
    expect(received.filter((m) => m.endsWith('forged-by-ingest'))).toEqual([]);
  });

  it('a vehicle terminal publishes its positions under its own enterprise', async () => {
    const truck = await connect(broker.deviceUrl, { username: 'truck-01', password: PASSWORDS['truck-01'] });
    try {
      expect(await publish(truck, 'hw/v1/ent-b/truck-01/position', 'pos')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-b/truck-01/position pos'), { what: 'the position', timeoutMs: 5000 });
    } finally {
      await truck.endAsync();
    }
  });

  it('refuses a wrong password, a terminal without a credential, and anonymous clients', async () => {
    expect([134, 135]).toContain(await refusal(broker.deviceUrl, { username: 'gas-01', password: 'wrong-password' }));
    expect([134, 135]).toContain(await refusal(broker.deviceUrl, { username: 'dam-01', password: 'anything-at-all' }));
    expect([134, 135]).toContain(await refusal(broker.deviceUrl, {}));
    expect([134, 135]).toContain(await refusal(broker.serviceUrl, {}));
  });

  it('a device cannot take over another device by connecting with its client id (use_username_as_clientid)', async () => {
    const victim = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'], clientId: 'gas-01' });
    let kicked = false;
    victim.on('close', () => {
      kicked = true;
    });
    const intruder = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'], clientId: 'gas-01' });
    try {
      expect(await publish(victim, 'hw/v1/ent-a/gas-01/telemetry', 'still-here')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-a/gas-01/telemetry still-here'), { what: 'the victim message', timeoutMs: 5000 });
      expect(kicked).toBe(false);
    } finally {
      await intruder.endAsync();
      await victim.endAsync();
    }
  });

  it('a credential issued later is live after a sync over $CONTROL and SIGHUP, without restarting the broker', async () => {
    const pid = Number((await readFile(broker.pidFile, 'utf8')).trim());
    expect([134, 135]).toContain(await refusal(broker.deviceUrl, { username: 'dam-01', password: PASSWORDS['dam-01'] }));
    await db.pool.query(`INSERT INTO mqtt_credentials (username, enterprise_id, device_id, password_hash) VALUES ('dam-01', 'ent-b', 'dam-01', $1)`, [
      hashMosquittoPassword(PASSWORDS['dam-01']),
    ]);
    const sync = await generate(broker.authDir, broker.serviceUrl);
    // createRole and createClient for dam-01, applied by the running plugin.
    expect(sync.dynsec).toEqual({ via: 'control', commands: 2 });
    expect(sync.passwordChanged).toBe(true);
    expect(await signalBrokerReload(broker.pidFile)).toBe(pid);
    const dam = await waitFor(
      async () => {
        try {
          return await connect(broker.deviceUrl, { username: 'dam-01', password: PASSWORDS['dam-01'] });
        } catch {
          return null;
        }
      },
      { what: `dam-01 to be accepted after the reload\n${broker.log()}`, timeoutMs: 5000 },
    );
    try {
      expect(await publish(dam, 'hw/v1/ent-b/dam-01/telemetry', 'dam')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-b/dam-01/telemetry dam'), { what: 'the dam message', timeoutMs: 5000 });
      expect(await subscribe(dam, [`$share/${SHARE_GROUP}/hw/v1/#`])).toEqual([135]);
    } finally {
      await dam.endAsync();
    }
    // The plugin saved the change itself: a broker restarted now would load dam-01's role.
    expect(await readFile(`${broker.authDir}/dynamic-security.json`, 'utf8')).toContain('hw-terminal:dam-01');
    // Nothing changed since: no command, no file write (no needless reload).
    const again = await generate(broker.authDir, broker.serviceUrl);
    expect(again.dynsec).toEqual({ via: 'control', commands: 0 });
    expect(again.passwordChanged).toBe(false);
    expect(Number((await readFile(broker.pidFile, 'utf8')).trim())).toBe(pid);
    expect(ingestClosed).toBe(0);
  });

  it('a revoked credential disconnects the device at once and keeps it out, without restarting the broker', async () => {
    const gas02 = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] });
    let kicked = false;
    gas02.on('close', () => {
      kicked = true;
    });
    expect(await publish(gas02, 'hw/v1/ent-a/gas-02/telemetry', 'before-revocation')).toBe('ok');
    await db.pool.query(`DELETE FROM mqtt_credentials WHERE username = 'gas-02'`);
    const sync = await generate(broker.authDir, broker.serviceUrl);
    // deleteClient and deleteRole: the plugin disconnects the client's connections on deleteClient.
    expect(sync.dynsec).toEqual({ via: 'control', commands: 2 });
    await waitFor(() => kicked, { what: 'gas-02 to be disconnected by the revocation', timeoutMs: 5000 });
    // Before the password file is reread the device can still log in, but may do nothing.
    const zombie = await connect(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] });
    try {
      expect(await publish(zombie, 'hw/v1/ent-a/gas-02/telemetry', 'after-revocation')).toBe(135);
    } finally {
      await zombie.endAsync().catch(() => undefined);
    }
    expect(sync.passwordChanged).toBe(true);
    await signalBrokerReload(broker.pidFile);
    await waitFor(async () => [134, 135].includes(await refusal(broker.deviceUrl, { username: 'gas-02', password: PASSWORDS['gas-02'] })), {
      what: 'gas-02 to be refused after the reload',
      timeoutMs: 5000,
    });
    // Everyone else is untouched.
    const dev = await connect(broker.deviceUrl, { username: 'gas-01', password: PASSWORDS['gas-01'] });
    try {
      expect(await publish(dev, 'hw/v1/ent-a/gas-01/telemetry', 'after-gas-02-revoked')).toBe('ok');
      await waitFor(() => received.includes('hw/v1/ent-a/gas-01/telemetry after-gas-02-revoked'), { what: 'gas-01 after the revocation', timeoutMs: 5000 });
    } finally {
      await dev.endAsync();
    }
    expect(received.filter((m) => m.endsWith('after-revocation'))).toEqual([]);
    expect(ingestClosed).toBe(0);
  });

  it('falls back to the file when no broker answers, and fails (no fallback) when the broker refuses the admin', async () => {
    const closedPort = await freePort();
    const offline = await generate(broker.authDir, `mqtt://127.0.0.1:${closedPort}`);
    expect(offline.dynsec).toMatchObject({ via: 'file', reason: 'broker_unreachable' });
    const wrongAdmin = generateBrokerAuth({
      pool: db.pool,
      outDir: broker.authDir,
      services: [INGEST, { ...ADMIN, password: 'not-the-admin-password' }],
      topicPrefix: '',
      brokerUrl: broker.serviceUrl,
    });
    await expect(wrongAdmin).rejects.toBeInstanceOf(DynsecControlError);
    await expect(wrongAdmin).rejects.toMatchObject({ code: 'HW_BROKER_AUTH_ADMIN_REFUSED' });
    // An account that logs in but holds no admin role: its subscription to the responses is refused.
    const notAdmin = generateBrokerAuth({
      pool: db.pool,
      outDir: broker.authDir,
      services: [{ role: 'admin', username: INGEST.username, password: INGEST.password }],
      topicPrefix: '',
      brokerUrl: broker.serviceUrl,
    });
    await expect(notAdmin).rejects.toMatchObject({
      code: 'HW_BROKER_AUTH_ADMIN_REFUSED',
      message: expect.stringContaining('no admin role'),
    });
  });
});
