import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './support/paths.js';

/**
 * docker-compose.yml and its env file, validated without a Docker engine:
 * `docker-compose config` (Debian's docker-compose, or the `docker compose` plugin)
 * resolves and checks the file; the tests then read the resolved configuration.
 * On CI (CI=true) a missing docker-compose is a failure, not a skip.
 */

/** Test values for the required secrets (the env file ships them empty). */
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: 'test-postgres-password',
  GRAFANA_DB_PASSWORD: 'test-grafana-db-password',
  REDIS_PASSWORD: 'test-redis-password',
  INGEST_MQTT_PASSWORD: 'test-ingest-password',
  INGEST_SHARE_GROUP: 'ingest-test0123',
  BROKER_ADMIN_PASSWORD: 'test-broker-admin-password',
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-admin-password',
};
const HAZARDWATCH_SERVICES = ['migrate', 'broker-auth', 'ingest', 'rules-worker', 'dispatch', 'api'];
const LONG_RUNNING = ['timescaledb', 'redis', 'mosquitto', 'ingest', 'rules-worker', 'dispatch', 'api', 'grafana'];

function findCompose(): string[] | null {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...rest] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...rest, 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return cmd;
  }
  return null;
}

const compose = findCompose();

function runCompose(args: string[], env: Record<string, string | undefined>) {
  if (!compose) throw new Error('no docker-compose');
  const [bin, ...rest] = compose as [string, ...string[]];
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in SECRETS)));
  return spawnSync(bin, [...rest, '--env-file', 'deploy/.env.example', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, ...env },
  });
}

type ComposeService = {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  user?: string;
  volumes?: unknown[];
};

function resolvedConfig(profiles: string[] = []): { services: Record<string, ComposeService>; volumes: Record<string, unknown> } {
  const r = runCompose([...profiles.flatMap((p) => ['--profile', p]), 'config'], SECRETS);
  if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
  return parseYaml(r.stdout);
}

describe('docker-compose.yml', () => {
  if (!compose && process.env.CI === 'true')
    it('has docker-compose to validate it with (CI installs Debian docker-compose)', () => {
      throw new Error('docker-compose is not installed: CI must validate docker-compose.yml (apt-get install docker-compose)');
    });

  describe.skipIf(!compose)('validated by docker-compose config', () => {
    it('is valid with the documented env file (`config -q`)', () => {
      const r = runCompose(['config', '-q'], SECRETS);
      expect(r.status, r.stderr).toBe(0);
      const scaled = runCompose(['--profile', 'scale', 'config', '-q'], SECRETS);
      expect(scaled.status, scaled.stderr).toBe(0);
    });

    it('refuses to start without the secrets, naming the one missing', () => {
      const r = runCompose(['config', '-q'], {});
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(
        /set (POSTGRES_PASSWORD|GRAFANA_DB_PASSWORD|REDIS_PASSWORD|INGEST_MQTT_PASSWORD|INGEST_SHARE_GROUP|GRAFANA_ADMIN_PASSWORD) in deploy\/\.env/,
      );
      for (const name of Object.keys(SECRETS)) {
        const without = runCompose(['config', '-q'], { ...SECRETS, [name]: undefined });
        expect(without.status, `${name} missing`).not.toBe(0);
        expect(without.stderr, `${name} missing`).toContain(`set ${name} in deploy/.env`);
      }
    });

    it('runs TimescaleDB (pinned, PostgreSQL 15/16, volume), Redis with AOF, Mosquitto, the four services, the migration and Grafana', () => {
      const c = resolvedConfig();
      // Services outside any profile start with a plain `up` (docker-compose 1.x lists profiled ones in `config` too).
      const always = Object.entries(c.services)
        .filter(([, svc]) => !svc.profiles?.length)
        .map(([name]) => name);
      expect(always.sort()).toEqual(
        ['api', 'broker-auth', 'dispatch', 'grafana', 'ingest', 'migrate', 'mosquitto', 'redis', 'rules-worker', 'timescaledb'].sort(),
      );
      const s = c.services;
      expect(s.timescaledb?.image).toMatch(/^timescale\/timescaledb:\d+\.\d+\.\d+-pg1[56]$/);
      expect(JSON.stringify(s.timescaledb?.volumes)).toContain('/var/lib/postgresql/data');
      expect(s.timescaledb?.command).toEqual(expect.arrayContaining(['synchronous_commit=on', 'shared_preload_libraries=timescaledb']));
      expect(s.redis?.image).toMatch(/^redis:\d+\.\d+\.\d+/);
      expect(JSON.stringify(s.redis?.volumes)).toContain('/data');
      expect(s.mosquitto?.image).toMatch(/^eclipse-mosquitto:\d+\.\d+\.\d+$/);
      expect(s.grafana?.image).toMatch(/^grafana\/grafana(-oss)?:\d+\.\d+\.\d+$/);
      for (const name of HAZARDWATCH_SERVICES) {
        expect(s[name]?.build?.dockerfile, name).toBe('deploy/docker/Dockerfile');
        expect(s[name]?.image, name).toBe(s.api?.image);
      }
      expect(s.migrate?.command).toEqual(['node', 'packages/db/dist/cli.js', 'migrate']);
      for (const name of ['ingest', 'rules-worker', 'dispatch', 'api']) expect(s[name]?.command, name).toEqual(['node', `services/${name}/dist/main.js`]);
    });

    it('starts in order: healthchecks everywhere, the migration before the services, broker files before the broker', () => {
      const s = resolvedConfig().services;
      for (const name of LONG_RUNNING) expect(s[name]?.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(s.migrate?.depends_on?.timescaledb?.condition).toBe('service_healthy');
      for (const name of ['broker-auth', 'ingest', 'rules-worker', 'dispatch', 'api', 'grafana'])
        expect(s[name]?.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      expect(s.mosquitto?.depends_on?.['broker-auth']?.condition).toBe('service_completed_successfully');
      expect(s.ingest?.depends_on?.mosquitto?.condition).toBe('service_healthy');
      for (const name of ['ingest', 'rules-worker', 'dispatch', 'api']) expect(s[name]?.depends_on?.redis?.condition, name).toBe('service_healthy');
    });

    it('passes secrets only from the env file, and the broker-auth job writes as the broker user', () => {
      const s = resolvedConfig().services;
      const env = s.ingest?.environment ?? {};
      expect(env.DATABASE_URL).toBe(`postgres://hazardwatch:${SECRETS.POSTGRES_PASSWORD}@timescaledb:5432/hazardwatch`);
      expect(env.REDIS_URL).toBe(`redis://:${SECRETS.REDIS_PASSWORD}@redis:6379`);
      expect(env.MQTT_PASSWORD).toBe(SECRETS.INGEST_MQTT_PASSWORD);
      expect(env.MQTT_URL).toBe('mqtt://mosquitto:1884');
      expect(s.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(SECRETS.GRAFANA_ADMIN_PASSWORD);
      expect(s['broker-auth']?.user).toBe('1883:1883');
      expect(s['broker-auth']?.environment?.MQTT_USERNAME).toBe(env.MQTT_USERNAME);
      expect(s['broker-auth']?.environment?.BROKER_ADMIN_PASSWORD).toBe(SECRETS.BROKER_ADMIN_PASSWORD);
      // Registry changes go to the running broker over its services' listener.
      expect(s['broker-auth']?.command).toEqual(expect.arrayContaining(['--broker-url', 'mqtt://mosquitto:1884']));
      // Redis's password reaches the server from the container environment, not the command line of the config.
      expect(JSON.stringify(s.redis?.command)).not.toContain(SECRETS.REDIS_PASSWORD);
    });

    it('profile `scale`: two ingest replicas in one share group with distinct client ids, and two rules workers', () => {
      const s = resolvedConfig(['scale']).services;
      const a = s.ingest?.environment ?? {};
      const b = s['ingest-b']?.environment ?? {};
      expect(b.INGEST_SHARE_GROUP).toBe(a.INGEST_SHARE_GROUP);
      expect(b.INGEST_CLIENT_ID).not.toBe(a.INGEST_CLIENT_ID);
      expect(b.MQTT_URL).toBe(a.MQTT_URL);
      expect(s['rules-worker-b']?.command).toEqual(s['rules-worker']?.command);
      expect(s['rules-worker-b']?.environment?.REDIS_URL).toBe(s['rules-worker']?.environment?.REDIS_URL);
      expect(s['ingest-b']?.profiles).toEqual(['scale']);
      expect(s['rules-worker-b']?.profiles).toEqual(['scale']);
    });
  });

  describe('env file, image and broker files (static)', () => {
    it('documents every variable the compose file reads in deploy/.env.example, with every secret left empty', async () => {
      const file = await readFile(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
      const example = await readFile(join(REPO_ROOT, 'deploy/.env.example'), 'utf8');
      const used = new Set([...file.matchAll(/(?<!\$)\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}/g)].map((m) => m[1]));
      const required = new Set([...file.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
      const documented = new Set([...example.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]));
      for (const v of used) expect(documented.has(v), `${v} is used by docker-compose.yml but not in deploy/.env.example`).toBe(true);
      for (const v of required) expect(example, `${v} must be listed empty`).toMatch(new RegExp(`^${v}=$`, 'm'));
      // Nothing assigned a value outside comments: the example holds no secret.
      expect(example.split('\n').filter((l) => /^[A-Z0-9_]+=.+/.test(l))).toEqual([]);
    });

    it('keeps deploy/.env out of git', () => {
      const r = spawnSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: REPO_ROOT });
      expect(r.status).toBe(0);
    });

    it('builds one multi-stage image: production dependencies only, non-root, with a healthcheck', async () => {
      const dockerfile = await readFile(join(REPO_ROOT, 'deploy/docker/Dockerfile'), 'utf8');
      const stages = dockerfile.split(/^FROM /m).slice(1);
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const runtime = stages.at(-1) ?? '';
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toMatch(/^HEALTHCHECK /m);
      expect(runtime).not.toMatch(/^COPY \. /m);
      expect(runtime).not.toMatch(/npm (ci|install)/);
      expect(dockerfile).toMatch(/npm ci --omit=dev/);
      const ignore = await readFile(join(REPO_ROOT, 'deploy/docker/Dockerfile.dockerignore'), 'utf8');
      for (const entry of ['**/node_modules', 'deploy/.env', '.git']) expect(ignore.split('\n')).toContain(entry);
    });

    it('has Mosquitto refuse anonymous clients, authenticate from the generated password file and authorise with the dynamic security plugin', async () => {
      const conf = await readFile(join(REPO_ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
      expect(conf).toMatch(/^allow_anonymous false$/m);
      expect(conf).toMatch(/^password_file \/mosquitto\/auth\/passwd$/m);
      // The plugin's path in the eclipse-mosquitto image (its docker/2.0/Dockerfile installs it there).
      expect(conf).toMatch(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
      expect(conf).toMatch(/^plugin_opt_config_file \/mosquitto\/auth\/dynamic-security\.json$/m);
      // acl_file does not check SUBSCRIBE (tests/deploy/broker-share-hijack.test.ts): it must not come back.
      expect(conf).not.toMatch(/^acl_file /m);
      expect(conf).toMatch(/^include_dir \/mosquitto\/config\/conf\.d$/m);
      const redis = await readFile(join(REPO_ROOT, 'deploy/redis/redis.conf'), 'utf8');
      expect(redis).toMatch(/^appendonly yes$/m);
      expect(redis).toMatch(/^maxmemory-policy noeviction$/m);
    });
  });
});
