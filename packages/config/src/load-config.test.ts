import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.db.url).toBeUndefined();
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.redis.latestValues).toBe(true);
    expect(loadConfig({ LATEST_VALUES_REDIS: 'false' }).redis.latestValues).toBe(false);
    expect(c.db.readingsRetentionDays).toBe(30);
    expect(c.db.positionsRetentionDays).toBe(183);
    expect(Object.isFrozen(c.ingest)).toBe(true);
  });

  it('names every wrong variable', () => {
    try {
      loadConfig({ EVAL_PARTITIONS: 'many', READINGS_RETENTION_DAYS: '7' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as ConfigError).message;
      expect(msg).toMatch(/EVAL_PARTITIONS/);
      expect(msg).toMatch(/READINGS_RETENTION_DAYS/);
    }
  });

  it('never echoes a secret-bearing value', () => {
    try {
      loadConfig({ DATABASE_URL: 'http://user:hunter2@db/x' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/DATABASE_URL/);
      expect((e as Error).message).not.toMatch(/hunter2/);
    }
  });

  it('accepts the URLs of every supported service', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/hw', MQTT_URL: 'mqtts://broker:8883', REDIS_URL: 'rediss://r:6380' });
    expect(c.db.url).toBe('postgres://u:p@db:5432/hw');
    expect(c.mqtt.url).toBe('mqtts://broker:8883');
    expect(c.redis.url).toBe('rediss://r:6380');
    expect(() => loadConfig({ MQTT_URL: 'http://broker' })).toThrow(/MQTT_URL: unsupported protocol/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ MQTT_URL: '' }).mqtt.url).toBeUndefined();
  });

  it('gives the rules worker its timings, bounded, each wrong one named', () => {
    const d = loadConfig({}).rulesWorker;
    expect(d).toEqual({
      tickMs: 1000,
      tickLagMs: 1000,
      lockMs: 10_000,
      stalledCheckMs: 5000,
      ruleCheckMs: 30_000,
      retry: { minMs: 100, maxMs: 5000 },
      maxAttempts: 5,
      partitions: undefined,
      name: undefined,
      lateLogMs: 10_000,
    });
    const c = loadConfig({ EVAL_PARTITIONS: '8', RULES_WORKER_PARTITIONS: '0, 2,5-7', RULES_WORKER_LOCK_MS: '20000', RULES_WORKER_NAME: 'rw-a' }).rulesWorker;
    expect(c.partitions).toEqual([0, 2, 5, 6, 7]);
    expect(c.lockMs).toBe(20_000);
    expect(c.name).toBe('rw-a');

    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.join('\n');
      }
      throw new Error('accepted');
    };
    expect(issues({ RULES_WORKER_TICK_MS: '5', RULES_WORKER_LOCK_MS: 'soon' })).toMatch(/RULES_WORKER_TICK_MS: .*\n.*RULES_WORKER_LOCK_MS: /);
    expect(issues({ RULES_WORKER_RETRY_MIN_MS: '500', RULES_WORKER_RETRY_MAX_MS: '200' })).toMatch(
      /^RULES_WORKER_RETRY_MAX_MS: must not be below RULES_WORKER_RETRY_MIN_MS \(500\)/,
    );
    expect(issues({ EVAL_PARTITIONS: '4', RULES_WORKER_PARTITIONS: '2-5' })).toMatch(/^RULES_WORKER_PARTITIONS: partitions 4, 5 do not exist/);
    expect(issues({ RULES_WORKER_PARTITIONS: '3-1' })).toMatch(/^RULES_WORKER_PARTITIONS: "3-1" is not a partition number or range/);
  });

  it('gives dispatch its settings: defaults, and an escalation policy as JSON with regional overrides', () => {
    const s = loadConfig({
      DISPATCH_RETRY_BASE_MS: '200',
      DISPATCH_ESCALATION_POLICY: JSON.stringify({ regions: [{ regionPrefix: '37', source: 'notice', colours: { red: { escalateAfterMs: 180000 } } }] }),
    }).dispatch;
    expect(s.retry).toMatchObject({ baseMs: 200, maxMs: 300_000, maxAttempts: 15 });
    expect(s.escalationPolicy.regions[0]?.regionPrefix).toBe('37');
    expect(s.escalationPolicy.defaults.orange.escalateAfterMs).toBe(900_000);
    expect(s.offlineAfterMs).toBe(600_000);
    expect(s.offlineInterruptedShare).toBe(1);
    expect(loadConfig({ DISPATCH_OFFLINE_INTERRUPTED_SHARE: '0.5' }).dispatch.offlineInterruptedShare).toBe(0.5);
    expect(s.previousSecretKeys).toEqual([]);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('names every wrong DISPATCH_* variable and never echoes a key', () => {
    try {
      loadConfig({
        DISPATCH_ESCALATION_POLICY: '{nope',
        DISPATCH_SECRET_KEY: 'short',
        DISPATCH_REQUEST_TIMEOUT_MS: '5',
        DISPATCH_OFFLINE_INTERRUPTED_SHARE: '0',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toContain('DISPATCH_ESCALATION_POLICY');
      expect(issues).toContain('DISPATCH_SECRET_KEY');
      expect(issues).toContain('DISPATCH_REQUEST_TIMEOUT_MS');
      expect(issues).toContain('DISPATCH_OFFLINE_INTERRUPTED_SHARE');
      expect(issues).not.toContain('short');
    }
  });
});
