import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.db.url).toBeUndefined();
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
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
});
