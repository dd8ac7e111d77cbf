import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { createLogger } from '@hazardwatch/observability';
import { createRedis, type Redis } from '@hazardwatch/queue';
import { dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@hazardwatch/testkit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import type { ApiConfigInput } from './deps.js';
import { LocalCounters } from './rate-limit-store.js';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

const LIMITS: ApiConfigInput = { authFailureLimit: { max: 2, windowMs: 60_000 }, expensiveQueryLimit: { max: 3, windowMs: 60_000 } };
const silent = createLogger({ level: 'silent' });

let f: ApiFixture;
const prefix = testRedisPrefix();
const opened: Redis[] = [];
const apps: FastifyInstance[] = [];
let blackHole: Server | undefined;

/** A rate-limit connection as main.ts makes it: never queues while Redis is away. */
function rateLimitRedis(url = testRedisUrl(), extra: Parameters<typeof createRedis>[1] = {}): Redis {
  const r = createRedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, ...extra });
  opened.push(r);
  return r;
}

/** The client connected (it does not queue, so a command before that would fall back at once). */
async function ready(r: Redis): Promise<Redis> {
  if (r.status !== 'ready') await once(r, 'ready');
  return r;
}

async function replica(redis: Redis, p = prefix): Promise<FastifyInstance> {
  const app = await buildApp({ pool: f.db.pool, log: silent, config: LIMITS, rateLimits: { redis, prefix: p, timeoutMs: 200 } });
  await app.ready();
  apps.push(app);
  return app;
}

const latest = (app: FastifyInstance, remoteAddress = '127.0.0.1') =>
  app.inject({ url: '/api/v1/telemetry/latest?enterpriseId=ent-zb', headers: f.auth('operatorZb'), remoteAddress });
const badKey = (app: FastifyInstance, remoteAddress: string) =>
  app.inject({ url: '/api/v1/enterprises', headers: { authorization: 'Bearer hwk_0000000000000000_nope' }, remoteAddress });

beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  // disconnect, not quit: quit waits for an answer the silent server never gives.
  for (const r of opened) r.disconnect();
  blackHole?.close();
  await dropRedisPrefix(prefix);
  await f?.close();
});

describe('rate limits shared through Redis', () => {
  it('two API instances share one budget per key, and the counters are in Redis under the prefix', async () => {
    const a = await replica(await ready(rateLimitRedis()));
    const b = await replica(await ready(rateLimitRedis()));
    expect((await latest(a)).statusCode).toBe(200);
    expect((await latest(b)).statusCode).toBe(200);
    expect((await latest(a)).statusCode).toBe(200);
    // The fourth request in the window, on either instance, is over the budget of 3.
    const over = await latest(b);
    expect(over.statusCode).toBe(429);
    expect(over.json().code).toBe('HW_API_RATE_LIMITED');
    expect((await latest(a)).statusCode).toBe(429);
    // Another key has its own budget.
    const other = await a.inject({ url: '/api/v1/telemetry/latest?enterpriseId=ent-zb', headers: f.auth('managerZb') });
    expect(other.statusCode).toBe(200);
    const check = await ready(rateLimitRedis());
    const keys = await check.keys(`${prefix}:rate-limit:*`);
    expect(keys.some((k) => k.includes('/api/v1/telemetry/latest') && k.endsWith(`key:${keyIdOf(f.keys.operatorZb)}`))).toBe(true);
  });

  it('failed authentications from one address count across instances', async () => {
    const a = await replica(await ready(rateLimitRedis()));
    const b = await replica(await ready(rateLimitRedis()));
    const ip = '10.9.8.7';
    expect((await badKey(a, ip)).statusCode).toBe(401);
    expect((await badKey(b, ip)).statusCode).toBe(401);
    // Two failures allowed per window, wherever they happened: now even a good key from there waits.
    const blocked = await b.inject({ url: '/api/v1/enterprises', headers: f.auth('admin'), remoteAddress: ip });
    expect(blocked.statusCode).toBe(429);
    expect((await a.inject({ url: '/api/v1/enterprises', headers: f.auth('admin'), remoteAddress: ip })).statusCode).toBe(429);
    expect((await a.inject({ url: '/api/v1/enterprises', headers: f.auth('admin'), remoteAddress: '10.9.8.8' })).statusCode).toBe(200);
  });
});

describe('rate limits while Redis cannot answer: open to per-process counters', () => {
  it('Redis down (connection refused): requests are served, and each process still enforces the limit', async () => {
    const port = await freePort();
    const app = await replica(rateLimitRedis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 1_000 }), testRedisPrefix());
    const started = Date.now();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await latest(app)).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    // No request waited for the dead Redis (offline queue off: it fails at once).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await badKey(app, '10.1.1.1')).statusCode).toBe(401);
    expect((await badKey(app, '10.1.1.1')).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/enterprises', headers: f.auth('admin'), remoteAddress: '10.1.1.1' })).statusCode).toBe(429);
  });

  it('Redis that accepts the connection but never answers: each check gives up after the timeout', async () => {
    blackHole = createServer(() => undefined);
    await new Promise<void>((res) => blackHole?.listen(0, '127.0.0.1', res));
    const addr = blackHole.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    // No ready check and no client-info handshake: the client takes the silent server for a
    // connected Redis and sends commands that get no answer.
    const app = await replica(
      await ready(rateLimitRedis(`redis://127.0.0.1:${port}`, { enableReadyCheck: false, disableClientInfo: true })),
      testRedisPrefix(),
    );
    const t = performance.now();
    const first = await latest(app);
    const waited = performance.now() - t;
    expect(first.statusCode).toBe(200);
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(3_000);
    for (let i = 0; i < 2; i++) expect((await latest(app)).statusCode).toBe(200);
    expect((await latest(app)).statusCode).toBe(429);
  });
});

describe('LocalCounters', () => {
  it('counts a fixed window per key, starts over after it, and stays bounded', () => {
    const c = new LocalCounters(3);
    expect(c.incr('a', 1000, 0)).toEqual({ current: 1, ttl: 1000 });
    expect(c.incr('a', 1000, 400)).toEqual({ current: 2, ttl: 600 });
    expect(c.read('a', 500)).toEqual({ current: 2, ttl: 500 });
    expect(c.incr('a', 1000, 1000)).toEqual({ current: 1, ttl: 1000 });
    expect(c.read('a', 2000)).toEqual({ current: 0, ttl: 0 });
    for (const k of ['b', 'c', 'd', 'e']) c.incr(k, 10_000, 1500);
    // Four live keys in a space of three: the oldest window ('a', then the first of the rest) goes.
    expect(['a', 'b', 'c', 'd', 'e'].filter((k) => c.read(k, 1600).current > 0)).toEqual(['c', 'd', 'e']);
  });
});

function keyIdOf(key: string): string {
  const m = /^hwk_([0-9a-f]{16})_/.exec(key);
  if (!m?.[1]) throw new Error('not an API key');
  return m[1];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const addr = s.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}
