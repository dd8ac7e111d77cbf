import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThresholdRuleSchema } from '@hazardwatch/contracts';
import { applySiteFile, createPool, createRule, type Pool } from '@hazardwatch/db';
import { bundledSite, runScenario } from '@hazardwatch/simulators';
import { freePort, waitFor } from '@hazardwatch/testkit';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/paths.js';

/**
 * The whole production stack from docker-compose.yml (profile `scale`: two ingest replicas,
 * two rules workers), built and started with testcontainers' compose support, driven by the
 * `gas-leak` simulator scenario through the authenticated broker to an alarm, and read back
 * through the stable views and Grafana's provisioned datasource.
 *
 * Needs a Docker engine and the `docker compose` plugin: skipped where either is missing (as
 * on the development machine of this project, which has the docker CLI only).
 */
function dockerEngineReachable(): boolean {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
  if (info.status !== 0) return false;
  return spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 15_000 }).status === 0;
}

const ENGINE = dockerEngineReachable();
const random = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;

describe.skipIf(!ENGINE)('docker compose stack: simulator → broker → ingest → rules → alarm (testcontainers)', () => {
  let stack: StartedDockerComposeEnvironment;
  let pool: Pool;
  let secretDir: string;
  const secrets = {
    POSTGRES_PASSWORD: random(),
    GRAFANA_DB_PASSWORD: random(),
    REDIS_PASSWORD: random(),
    INGEST_MQTT_PASSWORD: random(),
    INGEST_SHARE_GROUP: `ingest-${random()}`,
    BROKER_ADMIN_PASSWORD: `admin-${random()}`,
    GRAFANA_ADMIN_PASSWORD: random(),
  };
  const simPassword = `sim-${random()}`;
  const ports = { mqtt: 0, pg: 0, api: 0, grafana: 0 };

  beforeAll(async () => {
    secretDir = await mkdtemp(join(tmpdir(), 'hw-e2e-'));
    await chmod(secretDir, 0o755);
    // Read by broker-auth, which runs as mosquitto's uid inside its container.
    await writeFile(join(secretDir, 'sim-password'), simPassword, { mode: 0o644 });
    const envFile = join(secretDir, 'compose.env');
    const example = await readFile(join(REPO_ROOT, 'deploy/.env.example'), 'utf8');
    await writeFile(
      envFile,
      example.replace(/^([A-Z0-9_]+)=$/gm, (_line, name: keyof typeof secrets) => `${name}=${secrets[name] ?? ''}`),
    );
    ports.mqtt = await freePort();
    ports.pg = await freePort();
    ports.api = await freePort();
    ports.grafana = await freePort();
    stack = await new DockerComposeEnvironment(REPO_ROOT, ['docker-compose.yml', 'tests/deploy/compose.e2e.yml'])
      .withProjectName(`hw-e2e-${random()}`)
      .withBuild()
      .withProfiles('scale')
      .withEnvironmentFile(envFile)
      .withEnvironment({
        HW_E2E_SECRET_DIR: secretDir,
        MQTT_PUBLISH: `127.0.0.1:${ports.mqtt}`,
        PG_PUBLISH_PORT: String(ports.pg),
        API_PUBLISH: `127.0.0.1:${ports.api}`,
        GRAFANA_PUBLISH: `127.0.0.1:${ports.grafana}`,
      })
      .withWaitStrategy('migrate-1', Wait.forOneShotStartup())
      .withWaitStrategy('broker-auth-1', Wait.forOneShotStartup())
      .withWaitStrategy('timescaledb-1', Wait.forHealthCheck())
      .withWaitStrategy('redis-1', Wait.forHealthCheck())
      .withWaitStrategy('mosquitto-1', Wait.forHealthCheck())
      .withWaitStrategy('ingest-1', Wait.forHealthCheck())
      .withWaitStrategy('ingest-b-1', Wait.forHealthCheck())
      .withWaitStrategy('rules-worker-1', Wait.forHealthCheck())
      .withWaitStrategy('rules-worker-b-1', Wait.forHealthCheck())
      .withWaitStrategy('dispatch-1', Wait.forHealthCheck())
      .withWaitStrategy('api-1', Wait.forHealthCheck())
      .withWaitStrategy('grafana-1', Wait.forHealthCheck())
      .withStartupTimeout(600_000)
      .up();
    pool = createPool(`postgres://hazardwatch:${secrets.POSTGRES_PASSWORD}@127.0.0.1:${ports.pg}/hazardwatch`, { max: 2 });
  }, 1_200_000);

  afterAll(async () => {
    await pool?.end();
    await stack?.down({ removeVolumes: true, timeout: 30_000 });
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  }, 300_000);

  it('raises the second-level gas alarm of a leak published by the simulator, and Grafana reads it through the views', async () => {
    const site = await applySiteFile(pool, bundledSite('chemical-plant'));
    const pointId = site.pointIds['gd-203.lel'];
    expect(pointId).toBeDefined();
    // GB/T 50493-2019 §5.5: combustible gas first level 25 %LEL, second 50 %LEL.
    const rule = ThresholdRuleSchema.parse({
      id: 'e2e-gd-203-lel',
      version: 1,
      enterpriseId: site.enterpriseId,
      hazardSourceId: 'hs-hdt-unit',
      name: 'GD-203 combustible gas',
      kind: 'threshold',
      pointId,
      levels: [
        { name: 'first', colour: 'orange', side: 'high', setpoint: 25 },
        { name: 'second', colour: 'red', side: 'high', setpoint: 50 },
      ],
      deadband: 2,
      latching: true,
      source: 'GB/T 50493-2019 §5.5',
    });
    await createRule(pool, rule, { by: 'e2e-test' });

    // One connection: the device listener replaces client ids by the username.
    const summary = await runScenario({
      scenario: 'gas-leak',
      brokerUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
      username: 'hw-sim',
      password: simPassword,
      connections: 1,
      speed: 'max',
    });
    expect(summary.failed).toBe(0);

    const alarm = await waitFor(
      async () =>
        (await pool.query(`SELECT colour, level, state FROM v_alarms WHERE rule_id = 'e2e-gd-203-lel' AND open ORDER BY raised_at DESC LIMIT 1`)).rows[0],
      { what: 'the gas alarm', timeoutMs: 180_000, intervalMs: 1000 },
    );
    await waitFor(async () => (await pool.query(`SELECT 1 FROM v_alarms WHERE rule_id = 'e2e-gd-203-lel' AND colour = 'red'`)).rowCount, {
      what: 'the alarm at the second level (red)',
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    expect(alarm.level).toMatch(/first|second/);
    const readings = await pool.query(`SELECT count(*)::int AS n FROM v_readings WHERE point_id = $1`, [pointId]);
    expect(readings.rows[0]?.n).toBeGreaterThan(0);

    // Grafana: provisioned datasource healthy (its read-only login, the views), the five dashboards present.
    const auth = `Basic ${Buffer.from(`admin:${secrets.GRAFANA_ADMIN_PASSWORD}`).toString('base64')}`;
    const health = await fetch(`http://127.0.0.1:${ports.grafana}/api/datasources/uid/hw-timescaledb/health`, { headers: { authorization: auth } });
    expect(health.status).toBe(200);
    const search = await fetch(`http://127.0.0.1:${ports.grafana}/api/search?tag=hazardwatch`, { headers: { authorization: auth } });
    const found = (await search.json()) as Array<{ uid: string }>;
    expect(found.map((d) => d.uid).sort()).toEqual(['hw-alarms', 'hw-plant-overview', 'hw-regulator', 'hw-tailings-dam', 'hw-vehicles']);
  }, 900_000);
});
