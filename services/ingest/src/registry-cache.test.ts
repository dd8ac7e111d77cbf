import type { SiteFile } from '@hazardwatch/contracts';
import { applySiteFile, createPool, type Pool } from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryCache } from './registry-cache.js';

const DEVICES = 300;
const site: SiteFile = {
  version: 1,
  enterprise: { id: 'ent-rc', name: 'Registry cache plant', regionCode: '370321' },
  hazardSources: [{ id: 'hs-rc', name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 10 }],
  devices: Array.from({ length: DEVICES }, (_, i) => ({
    id: `dev-${i}`,
    hazardSourceId: 'hs-rc',
    points: [{ channel: 'lel', kind: 'combustible_gas' as const, unit: '%LEL', rangeMin: 0, rangeMax: 100 }],
  })),
  vehicles: [{ id: 'veh-1', plate: '鲁C12345' }],
  geofences: [],
};

/** The real pool, counting the queries that reach PostgreSQL. */
function counting(pool: Pool): { pool: Pool; queries: () => number } {
  let n = 0;
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      return Reflect.get(target, prop, receiver);
    },
  });
  return { pool: proxy, queries: () => n };
}

describe('RegistryCache (real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    await applySiteFile(db.pool, site);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('loads devices that miss in the same tick with one query, known and unknown alike', async () => {
    const c = counting(db.pool);
    const cache = new RegistryCache(c.pool, Date.now);
    const ids = [...Array.from({ length: DEVICES }, (_, i) => `dev-${i}`), 'no-such-device'];
    const got = await Promise.all(ids.map((id) => cache.device(id)));
    expect(c.queries()).toBe(1);
    expect(got.slice(0, DEVICES).every((d, i) => d?.deviceId === `dev-${i}` && d.enterpriseId === 'ent-rc' && d.points.get('lel')?.rangeMax === 100)).toBe(
      true,
    );
    expect(got[DEVICES]).toBeNull();
    // Again: all from memory, the unknown one included.
    await Promise.all(ids.map((id) => cache.device(id)));
    expect(c.queries()).toBe(1);
  });

  it('splits a large miss into batches of maxBatch ids', async () => {
    const c = counting(db.pool);
    const cache = new RegistryCache(c.pool, Date.now, { maxBatch: 100 });
    await Promise.all(Array.from({ length: DEVICES }, (_, i) => cache.device(`dev-${i}`)));
    expect(c.queries()).toBe(3);
  });

  it('answers an expired entry at once and refreshes it in the background (registry edits arrive)', async () => {
    let t = 1_000_000;
    const cache = new RegistryCache(db.pool, () => t, { ttlMs: 60_000, random: () => 0.5 });
    expect((await cache.device('dev-7'))?.points.get('lel')?.rangeMax).toBe(100);
    await db.pool.query(`UPDATE measuring_points SET range_max = 50 WHERE device_id = 'dev-7'`);
    t += 59_000;
    expect((await cache.device('dev-7'))?.points.get('lel')?.rangeMax).toBe(100); // still fresh
    t += 2_000;
    expect((await cache.device('dev-7'))?.points.get('lel')?.rangeMax).toBe(100); // stale, answered while refreshing
    await new Promise((r) => setTimeout(r, 200));
    expect((await cache.device('dev-7'))?.points.get('lel')?.rangeMax).toBe(50);
    await db.pool.query(`UPDATE measuring_points SET range_max = 100 WHERE device_id = 'dev-7'`);
  });

  it('jitters lifetimes by ±20 % so devices seen together do not come due together', async () => {
    let t = 1_000_000; // lru-cache reads a start time of 0 as "none"
    const c = counting(db.pool);
    let r = 0;
    const cache = new RegistryCache(c.pool, () => t, { ttlMs: 10_000, random: () => r });
    r = 0; // lifetime 8 s
    await cache.device('dev-1');
    r = 1; // lifetime 12 s
    await cache.device('dev-2');
    expect(c.queries()).toBe(2);
    t += 9_000;
    await cache.device('dev-1'); // stale: one refresh
    await cache.device('dev-2'); // fresh
    await new Promise((res) => setTimeout(res, 100));
    expect(c.queries()).toBe(3);
  });

  it('remembers an unknown id for the negative lifetime only', async () => {
    let t = 1_000_000; // lru-cache reads a start time of 0 as "none"
    const c = counting(db.pool);
    const cache = new RegistryCache(c.pool, () => t, { negativeTtlMs: 5_000, random: () => 0.5 });
    expect(await cache.vehicleEnterprise('veh-404')).toBeNull();
    expect(await cache.vehicleEnterprise('veh-404')).toBeNull();
    expect(c.queries()).toBe(1);
    expect(await cache.vehicleEnterprise('veh-1')).toBe('ent-rc');
    t += 6_000;
    await cache.vehicleEnterprise('veh-404');
    await new Promise((res) => setTimeout(res, 100));
    expect(c.queries()).toBe(3);
  });

  it('keeps answering known devices while the registry is unreachable; an unseen one fails (ingest retries it)', async () => {
    const pool = createPool(db.url, { max: 2 });
    let t = 1_000_000; // lru-cache reads a start time of 0 as "none"
    const cache = new RegistryCache(pool, () => t, { ttlMs: 1_000, random: () => 0.5 });
    expect((await cache.device('dev-3'))?.deviceId).toBe('dev-3');
    await pool.end(); // every query from now on fails
    t += 5_000;
    expect((await cache.device('dev-3'))?.deviceId).toBe('dev-3'); // stale, refresh fails in the background
    await new Promise((res) => setTimeout(res, 100));
    expect((await cache.device('dev-3'))?.deviceId).toBe('dev-3'); // kept after the failed refresh
    await expect(cache.device('dev-4')).rejects.toMatchObject({ code: 'HW_INGEST_REGISTRY_UNAVAILABLE' });
    await expect(cache.vehicleEnterprise('veh-1')).rejects.toMatchObject({ code: 'HW_INGEST_REGISTRY_UNAVAILABLE' });
  });

  it('recheckDevice reloads an entry only once the registry generation moved past the one it was loaded at', async () => {
    const c = counting(db.pool);
    let generation: number | null = 1;
    const cache = new RegistryCache(c.pool, Date.now, { generation: () => generation });
    expect((await cache.device('dev-7'))?.points.has('h2s')).toBe(false);
    expect(await cache.device('dev-new')).toBeNull();
    await db.pool.query(
      `INSERT INTO measuring_points (device_id, channel, hazard_source_id, kind, unit, range_min, range_max) VALUES ('dev-7', 'h2s', 'hs-rc', 'toxic_gas', 'ppm', 0, 100)`,
    );
    await db.pool.query(`INSERT INTO devices (id, enterprise_id, name) SELECT 'dev-new', enterprise_id, 'new' FROM devices WHERE id = 'dev-7'`);
    try {
      const before = c.queries();
      // No change seen yet: nothing newer is known, no query.
      expect(await cache.recheckDevice('dev-7')).toBeUndefined();
      expect(await cache.recheckDevice('dev-new')).toBeUndefined();
      expect(c.queries()).toBe(before);
      // A change seen: reloaded now (the cached answers were still the old ones).
      generation = 2;
      expect((await cache.device('dev-7'))?.points.has('h2s')).toBe(false);
      expect((await cache.recheckDevice('dev-7'))?.points.get('h2s')?.rangeMax).toBe(100);
      expect((await cache.recheckDevice('dev-new'))?.deviceId).toBe('dev-new');
      expect((await cache.device('dev-7'))?.points.has('h2s')).toBe(true);
      // Loaded at generation 2: a device that stays wrong costs no further query until the next change.
      const after = c.queries();
      expect(await cache.recheckDevice('dev-7')).toBeUndefined();
      expect(await cache.recheckDevice('dev-missing')).toBeNull(); // never loaded: one query
      expect(await cache.recheckDevice('dev-missing')).toBeUndefined();
      expect(c.queries()).toBe(after + 1);
      // Not listening: never trusted to know better.
      generation = null;
      expect(await cache.recheckDevice('dev-8')).toBeUndefined();
    } finally {
      await db.pool.query(`DELETE FROM measuring_points WHERE device_id = 'dev-7' AND channel = 'h2s'`);
      await db.pool.query(`DELETE FROM devices WHERE id = 'dev-new'`);
    }
  });
});
