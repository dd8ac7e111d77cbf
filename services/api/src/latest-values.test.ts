import { createServer, type Server, type Socket } from 'node:net';
import { latestOfPoints, type Pool } from '@hazardwatch/db';
import { clearLatest, createRedis, latestText, markLatestWriter, type Redis, readLatest, setLatestIfNewer, unmarkLatestWriter } from '@hazardwatch/queue';
import { dropRedisPrefix, freePort, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerBuffers, LatestBodies } from './latest-body.js';
import { watchRegistry } from './registry-watch.js';
import { LatestResponseSchema, LatestValuesResponseSchema } from './schemas/telemetry.js';
import { type ApiFixture, createApiFixture, T0 } from './test-fixture.js';

// GET /telemetry/latest with ingest's Redis copy of the latest values (packages/queue latest-values.ts).
let f: ApiFixture;
let redis: Redis;
const prefix = testRedisPrefix();
beforeAll(async () => {
  redis = createRedis(testRedisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  f = await createApiFixture({ deps: { latestValues: { redis, prefix } } });
  // These tests stand in for ingest's writer, which keeps this mark alive while it writes.
  await markLatestWriter(redis, prefix, 600_000);
});
afterAll(async () => {
  await f?.close();
  redis?.disconnect();
  await dropRedisPrefix(prefix);
});

const get = (url: string, key: Parameters<ApiFixture['auth']>[0] = 'operatorZb') => f.app.inject({ url, headers: f.auth(key) });
const pid = (site: 'zb' | 'zz', channel: string) => {
  const id = f.sites[site].pointIds[`dev-${site}-1.${channel}`];
  if (id === undefined) throw new Error(`no point ${channel}`);
  return id;
};
const CASES = [
  ['/api/v1/telemetry/latest?enterpriseId=ent-zb', { enterpriseId: 'ent-zb' }],
  ['/api/v1/telemetry/latest?hazardSourceId=hs-zb-tank', { hazardSourceId: 'hs-zb-tank' }],
] as const;

describe('latest values from Redis', () => {
  it('answers as PostgreSQL does, both views, with Redis empty (probes, written back) and then filled', async () => {
    await clearLatest(redis, prefix);
    for (let round = 0; round < 2; round++)
      for (const [url, of] of CASES) {
        const expected = await latestOfPoints(f.db.pool, { kind: 'all' }, of);
        const full = await get(url);
        expect(full.statusCode).toBe(200);
        expect(LatestResponseSchema.parse(full.json()).items).toEqual(expected);
        const values = await get(`${url}&view=values`);
        expect(values.statusCode).toBe(200);
        expect(LatestValuesResponseSchema.parse(values.json()).items).toEqual(
          expected.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })),
        );
        expect(Object.keys(values.json().items[0] ?? {})).toEqual(['pointId', 'ts', 'value', 'quality']);
      }
    // The first round's probes were written back (the write is not awaited by the request).
    const ids = [pid('zb', 'nh3'), pid('zb', 'p1')];
    await expect.poll(async () => (await readLatest(redis, prefix, ids)).every((t) => t !== undefined)).toBe(true);
  });

  it('takes the values from Redis when it has them', async () => {
    const id = pid('zb', 'nh3');
    const ts = T0 + 500 * 60_000;
    await setLatestIfNewer(redis, prefix, [{ pointId: id, ts, text: latestText(ts, 123.25, 'maintenance') }]);
    const items = (await get('/api/v1/telemetry/latest?enterpriseId=ent-zb')).json().items as Array<{ pointId: number }>;
    expect(items.find((i) => i.pointId === id)).toMatchObject({ pointId: id, ts, value: 123.25, quality: 'maintenance', channel: 'nh3', unit: 'ppm' });
    // Back to the truth for the other tests: Redis emptied, PostgreSQL answers (and refills it).
    await clearLatest(redis, prefix);
    const again = (await get('/api/v1/telemetry/latest?enterpriseId=ent-zb')).json().items as Array<{ pointId: number; ts: number }>;
    expect(again.find((i) => i.pointId === id)?.ts).toBe(T0 + 179 * 60_000);
  });

  it('leaves a copy no writer vouches for alone: PostgreSQL answers, nothing is written back', async () => {
    const id = pid('zb', 'nh3');
    const ts = T0 + 900 * 60_000;
    await clearLatest(redis, prefix);
    // A value PostgreSQL does not have, as an API would serve it next to an ingest not writing the copy.
    await setLatestIfNewer(redis, prefix, [{ pointId: id, ts, text: latestText(ts, 7.5, 'good') }]);
    await unmarkLatestWriter(redis, prefix);
    try {
      const expected = await latestOfPoints(f.db.pool, { kind: 'all' }, { enterpriseId: 'ent-zb' });
      expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zb')).json().items).toEqual(expected);
      expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zb&view=values')).json().items).toEqual(
        expected.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })),
      );
      // Nothing written back: the other points are still missing from the copy.
      await new Promise((r) => setTimeout(r, 100));
      expect(await readLatest(redis, prefix, [pid('zb', 'p1')])).toEqual([undefined]);
    } finally {
      await markLatestWriter(redis, prefix, 600_000);
      await clearLatest(redis, prefix);
    }
  });

  it('keeps the scope rules: out-of-scope enterprises are unknown, hazard sources give only their points', async () => {
    expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zz')).statusCode).toBe(404);
    expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zz&view=values')).statusCode).toBe(404);
    expect((await get('/api/v1/telemetry/latest?hazardSourceId=hs-zz-tank&view=values')).statusCode).toBe(404);
    expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zb', 'regulator3704')).statusCode).toBe(404);
    const zz = await get('/api/v1/telemetry/latest?enterpriseId=ent-zz&view=values', 'managerZz');
    expect(zz.statusCode).toBe(200);
    const zzIds = new Set(Object.values(f.sites.zz.pointIds));
    expect((zz.json().items as Array<{ pointId: number }>).every((i) => zzIds.has(i.pointId))).toBe(true);
    expect((await get('/api/v1/telemetry/latest?enterpriseId=ent-zb&view=other')).statusCode).toBe(400);
  });
});

/** The real pool, counting the registry fingerprint queries (`latestFingerprintOf`) made through it. */
function countingFingerprints(pool: Pool): { pool: Pool; fingerprints: () => number } {
  let n = 0;
  const counted = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : '';
        if (text.includes('AS fingerprint') && !text.includes('json_agg') && !text.includes('string_agg')) n++;
        return (target.query as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  return { pool: counted, fingerprints: () => n };
}

describe('answer buffers', () => {
  it('are reused only once handed back, at most `keep` of them, and only when large enough', () => {
    const pool = new AnswerBuffers(2);
    const a = pool.take(1_000);
    expect(a.length).toBeGreaterThanOrEqual(1_000);
    expect(pool.take(1_000)).not.toBe(a);
    pool.give(a);
    expect(pool.size).toBe(1);
    expect(pool.take(900)).toBe(a);
    expect(pool.size).toBe(0);
    pool.give(a);
    // Too small for this answer: a new one, the kept one stays.
    const big = pool.take(a.length + 1);
    expect(big).not.toBe(a);
    expect(pool.size).toBe(1);
    pool.give(big);
    pool.give(Buffer.alloc(10));
    expect(pool.size).toBe(2);
  });

  it('LatestBodies reuses the buffer of an answer after done(), never before', async () => {
    const bodies = new LatestBodies(f.db.pool, { source: { redis, prefix } });
    const of = { enterpriseId: 'ent-zb' } as const;
    const expected = JSON.stringify({ items: await latestOfPoints(f.db.pool, { kind: 'all' }, of) });
    await bodies.answer({ kind: 'all' }, of); // fills Redis by write-back
    await expect.poll(async () => (await readLatest(redis, prefix, [pid('zb', 'p1')]))[0]).toBeDefined();
    const first = await bodies.answer({ kind: 'all' }, of);
    const second = await bodies.answer({ kind: 'all' }, of);
    expect(Buffer.isBuffer(first.body) && Buffer.isBuffer(second.body)).toBe(true);
    expect((second.body as Buffer).buffer).not.toBe((first.body as Buffer).buffer);
    const firstText = first.body.toString();
    first.done();
    first.done(); // twice is once
    const third = await bodies.answer({ kind: 'all' }, of);
    expect((third.body as Buffer).buffer).toBe((first.body as Buffer).buffer);
    expect(firstText).toBe(expected);
    expect(third.body.toString()).toBe(expected);
    expect(second.body.toString()).toBe(expected);
  });

  it('over real HTTP, many answers at once come out whole while their buffers are reused', async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = f.app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const expected = {
      full: JSON.stringify({ items: await latestOfPoints(f.db.pool, { kind: 'all' }, { enterpriseId: 'ent-zb' }) }),
      values: JSON.stringify({
        items: (await latestOfPoints(f.db.pool, { kind: 'all' }, { enterpriseId: 'ent-zb' })).map(({ pointId, ts, value, quality }) => ({
          pointId,
          ts,
          value,
          quality,
        })),
      }),
    };
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const view = i % 2 === 0 ? 'full' : 'values';
          const res = await fetch(`${base}/api/v1/telemetry/latest?enterpriseId=ent-zb&view=${view}`, { headers: f.auth('operatorZb') });
          return { view, status: res.status, text: await res.text() };
        }),
      );
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.text).toBe(expected[a.view as 'full' | 'values']);
      }
    }
  });
});

describe('latest values from Redis with registry change notifications', () => {
  const of = { enterpriseId: 'ent-zb' } as const;
  const names = async (bodies: LatestBodies) =>
    (JSON.parse((await bodies.body({ kind: 'all' }, of)).toString()).items as Array<{ pointId: number; name: string | null }>).map((i) => i.name);

  it('asks PostgreSQL for the fingerprint only while the watch cannot vouch for the kept registry part', async () => {
    const { pool, fingerprints } = countingFingerprints(f.db.pool);
    let generation: number | null = 1;
    const bodies = new LatestBodies(pool, { source: { redis, prefix }, registry: { generation: () => generation } });
    const expected = (await latestOfPoints(f.db.pool, { kind: 'all' }, of)).map((i) => i.name);
    expect(await names(bodies)).toEqual(expected);
    expect(fingerprints()).toBe(1);
    // Same generation: the kept part is trusted, no fingerprint query.
    for (let i = 0; i < 3; i++) expect(await names(bodies)).toEqual(expected);
    expect(fingerprints()).toBe(1);
    // A change moved the generation: checked once, then trusted again.
    generation = 2;
    await names(bodies);
    await names(bodies);
    expect(fingerprints()).toBe(2);
    // Not listening (null): every request checks.
    generation = null;
    await names(bodies);
    await names(bodies);
    expect(fingerprints()).toBe(4);
  });

  it('shows a registry edit once its notification arrives, and never trusts a kept part while the listener is away', async () => {
    const { pool, fingerprints } = countingFingerprints(f.db.pool);
    const watch = watchRegistry(f.db.pool);
    const id = pid('zb', 'nh3');
    const before = await f.db.pool.query<{ name: string | null }>('SELECT name FROM measuring_points WHERE id = $1', [id]);
    try {
      await expect.poll(() => watch.generation()).not.toBeNull();
      const bodies = new LatestBodies(pool, { source: { redis, prefix }, registry: watch });
      const index = (await latestOfPoints(f.db.pool, { kind: 'all' }, of)).findIndex((i) => i.pointId === id);
      await names(bodies);
      const trusted = fingerprints();
      await names(bodies);
      expect(fingerprints()).toBe(trusted);
      await f.db.pool.query(`UPDATE measuring_points SET name = 'renamed by the registry', updated_at = now() WHERE id = $1`, [id]);
      await expect.poll(async () => (await names(bodies))[index]).toBe('renamed by the registry');
      // The listener's connection killed: no generation until it listens again (then a new one),
      // so the kept part is checked, and an edit made meanwhile shows at once.
      const listening = watch.generation();
      await f.db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
      await expect.poll(() => watch.generation()).not.toBe(listening);
      await f.db.pool.query(`UPDATE measuring_points SET name = 'renamed while deaf', updated_at = now() WHERE id = $1`, [id]);
      expect((await names(bodies))[index]).toBe('renamed while deaf');
      await expect.poll(() => watch.generation(), { timeout: 10_000 }).not.toBeNull();
    } finally {
      await f.db.pool.query('UPDATE measuring_points SET name = $2, updated_at = now() WHERE id = $1', [id, before.rows[0]?.name ?? null]);
      await watch.close();
    }
  });
});

describe('latest values when Redis fails', () => {
  let hung: Server;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hung?.close(r));
  });

  it('answers from PostgreSQL at once when Redis refuses, and within the timeout when it never replies', async () => {
    const refusedPort = await freePort();
    const refused = createRedis(`redis://127.0.0.1:${refusedPort}`, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1_000 });
    // A server that accepts and never answers: every command hangs.
    hung = createServer((s) => sockets.push(s));
    const hungPort = await freePort();
    await new Promise<void>((r) => hung.listen(hungPort, '127.0.0.1', r));
    const silent = createRedis(`redis://127.0.0.1:${hungPort}`, { enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      const expected = await latestOfPoints(f.db.pool, { kind: 'all' }, { enterpriseId: 'ent-zb' });
      for (const [conn, limitMs] of [
        [refused, 1_000],
        [silent, 1_000],
      ] as const) {
        const bodies = new LatestBodies(f.db.pool, { source: { redis: conn, prefix, timeoutMs: 150 } });
        const t = performance.now();
        const body = await bodies.body({ kind: 'all' }, { enterpriseId: 'ent-zb' });
        expect(performance.now() - t).toBeLessThan(limitMs);
        expect(JSON.parse(body.toString()).items).toEqual(expected);
        // After a failure Redis is left alone for a while: the next answer does not wait for it.
        const t2 = performance.now();
        expect(JSON.parse((await bodies.body({ kind: 'all' }, { enterpriseId: 'ent-zb' }, 'values')).toString()).items).toEqual(
          expected.map(({ pointId, ts, value, quality }) => ({ pointId, ts, value, quality })),
        );
        expect(performance.now() - t2).toBeLessThan(140);
      }
    } finally {
      refused.disconnect();
      silent.disconnect();
    }
  });
});
