import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashMosquittoPassword } from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthBroker, startAuthBroker } from './support/auth-broker.js';
import { connect, publish, refusal } from './support/mqtt.js';
import { REPO_ROOT } from './support/paths.js';

/**
 * `npm run broker-auth` itself (deploy/broker-auth/src/main.ts), as docker-compose.yml runs
 * it: before the broker exists it writes the files the broker starts from; once the broker
 * runs it applies a registry change over $CONTROL and SIGHUPs the broker through its pid file.
 */

const SECRETS = { ingest: 'ingest-secret-0123456789', admin: 'admin-secret-0123456789', dev: 'dev-01-secret-pw' };

function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=hazardwatch-source', '--import', 'tsx', 'deploy/broker-auth/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run broker-auth (the CLI)', () => {
  let db: TestDatabase;
  let broker: AuthBroker | undefined;
  let scratch: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    scratch = await mkdtemp(join(tmpdir(), 'hw-broker-auth-cli-'));
    await db.pool.query(`INSERT INTO enterprises (id, name, region_code) VALUES ('ent-a', 'A Chemical', '370321')`);
    await db.pool.query(`INSERT INTO devices (id, enterprise_id) VALUES ('dev-01', 'ent-a')`);
    env = {
      DATABASE_URL: db.url,
      MQTT_USERNAME: 'hw-ingest',
      MQTT_PASSWORD: SECRETS.ingest,
      BROKER_ADMIN_PASSWORD: SECRETS.admin,
      INGEST_SHARE_GROUP: 'ingest-cli-test',
    };
  });

  afterAll(async () => {
    await broker?.dispose();
    await db?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('refuses to run without the admin password, naming it', async () => {
    const r = await runCli(['--out-dir', join(scratch, 'x')], { ...env, BROKER_ADMIN_PASSWORD: undefined });
    expect(r.code).toBe(2);
    expect(r.out).toContain('BROKER_ADMIN_PASSWORD must be set');
    const short = await runCli(['--out-dir', join(scratch, 'x')], { ...env, BROKER_ADMIN_PASSWORD: 'short' });
    expect(short.code).toBe(2);
    expect(short.out).toContain('at least 12 characters');
    expect(short.out).not.toContain(SECRETS.ingest);
  });

  it('writes the files before the broker runs, then applies a new credential to the running broker', async () => {
    broker = await startAuthBroker(async (dir) => {
      // No broker answers yet at the URL docker-compose.yml gives: the file is written instead.
      const r = await runCli(['--out-dir', dir, '--broker-url', 'mqtt://127.0.0.1:1'], env);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('"via":"file"');
      expect(r.out).toContain('"reason":"broker_unreachable"');
    });
    const b = broker;
    expect([134, 135]).toContain(await refusal(b.deviceUrl, { username: 'dev-01', password: SECRETS.dev }));

    await db.pool.query(`INSERT INTO mqtt_credentials (username, enterprise_id, device_id, password_hash) VALUES ('dev-01', 'ent-a', 'dev-01', $1)`, [
      hashMosquittoPassword(SECRETS.dev),
    ]);
    const r = await runCli(['--out-dir', b.authDir, '--broker-url', b.serviceUrl, '--pid-file', b.pidFile], env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('"via":"control","commands":2');
    expect(r.out).toContain('SIGHUP');
    // Secrets stay out of the log.
    for (const s of Object.values(SECRETS)) expect(r.out).not.toContain(s);
    const dev = await waitFor(
      async () => {
        try {
          return await connect(b.deviceUrl, { username: 'dev-01', password: SECRETS.dev });
        } catch {
          return null;
        }
      },
      { what: `dev-01 to be accepted\n${b.log()}`, timeoutMs: 5000 },
    );
    try {
      expect(await publish(dev, 'hw/v1/ent-a/dev-01/telemetry', 'x')).toBe('ok');
    } finally {
      await dev.endAsync();
    }
    expect(await readFile(join(b.authDir, 'passwd'), 'utf8')).toMatch(/^dev-01:\$7\$/m);
  });
});
