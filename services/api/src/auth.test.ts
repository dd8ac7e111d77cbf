import { createHash } from 'node:crypto';
import { createLogger } from '@hazardwatch/observability';
import { createTestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { ensureAdminKey } from './auth/keys.js';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

let f: ApiFixture;
let now = Date.now();
beforeAll(async () => {
  f = await createApiFixture({
    clock: { now: () => now },
    config: { authFailureLimit: { max: 3, windowMs: 60_000 }, expensiveQueryLimit: { max: 2, windowMs: 60_000 } },
  });
});
afterAll(async () => {
  await f?.close();
});

const get = (url: string, headers: Record<string, string>, remoteAddress = '127.0.0.1') => f.app.inject({ url, headers, remoteAddress });

describe('API keys', () => {
  it('accepts Authorization: Bearer and X-API-Key', async () => {
    expect((await get('/api/v1/enterprises', f.auth('admin'))).statusCode).toBe(200);
    expect((await get('/api/v1/enterprises', { 'x-api-key': f.keys.admin })).statusCode).toBe(200);
    expect((await get('/api/v1/enterprises', { authorization: `Basic ${f.keys.admin}` }, '10.0.0.9')).statusCode).toBe(401);
  });

  it('records when a key was last used, at most once a minute (no write on most requests)', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'operator', enterpriseId: 'ent-zb', name: 'last-used probe' },
    });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json() as { key: string; apiKey: { id: string; lastUsedAt: number | null } };
    expect(apiKey.lastUsedAt).toBeNull();
    const lastUsed = async () =>
      (await f.db.pool.query<{ ms: number | null }>('SELECT (extract(epoch FROM last_used_at) * 1000)::float8 AS ms FROM api_keys WHERE id = $1', [apiKey.id]))
        .rows[0]?.ms;
    const start = now;
    try {
      expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` })).statusCode).toBe(200);
      expect(await lastUsed()).toBe(now);
      now += 30_000;
      expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` })).statusCode).toBe(200);
      expect(await lastUsed()).toBe(start);
      now += 31_000;
      expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` })).statusCode).toBe(200);
      expect(await lastUsed()).toBe(now);
    } finally {
      now = start;
    }
  });

  it('stores only a SHA-256 of the key; the key is shown once at creation', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'regulator', regionPrefix: '3703', name: 'Zibo duty desk' },
    });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json();
    expect(key).toMatch(/^hwk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ role: 'regulator', regionPrefix: '3703', enterpriseId: null, createdBy: expect.stringMatching(/^key:/) });
    expect(apiKey.expiresAt).toBe(now + 365 * 86_400_000);
    const row = await f.db.pool.query('SELECT * FROM api_keys WHERE id = $1', [apiKey.id]);
    expect(JSON.stringify(row.rows)).not.toContain(key.slice(21));
    expect((row.rows[0].key_hash as Buffer).equals(createHash('sha256').update(key).digest())).toBe(true);
    const again = await f.app.inject({ url: `/api/v1/api-keys/${apiKey.id}`, headers: f.auth('admin') });
    expect(again.body).not.toContain(key);
    expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` })).json().items.map((e: { id: string }) => e.id)).toEqual(['ent-zb']);
  });

  it('refuses expired and revoked keys', async () => {
    const mk = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'operator', enterpriseId: 'ent-zb', name: 'night shift', expiresAt: now + 60_000 },
    });
    const { key, apiKey } = mk.json();
    expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` })).statusCode).toBe(200);
    now += 61_000;
    expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` }, '10.0.0.1')).statusCode).toBe(401);
    now -= 61_000;
    const revoke = await f.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: f.auth('managerZb') });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json().revokedAt).toBe(now);
    expect((await get('/api/v1/enterprises', { authorization: `Bearer ${key}` }, '10.0.0.2')).statusCode).toBe(401);
  });

  it('rotates: the new key works at once, the old one until the grace period ends', async () => {
    const mk = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'integrator', enterpriseId: 'ent-zb', name: 'vendor' },
    });
    const old = mk.json();
    const rot = await f.app.inject({
      method: 'POST',
      url: `/api/v1/api-keys/${old.apiKey.id}/rotate`,
      headers: f.auth('managerZb'),
      payload: { graceMs: 3_600_000 },
    });
    expect(rot.statusCode).toBe(201);
    const fresh = rot.json();
    expect(fresh.apiKey).toMatchObject({ role: 'integrator', enterpriseId: 'ent-zb', name: 'vendor' });
    expect(fresh.key).not.toBe(old.key);
    expect((await get('/api/v1/devices', { authorization: `Bearer ${old.key}` })).statusCode).toBe(200);
    expect((await get('/api/v1/devices', { authorization: `Bearer ${fresh.key}` })).statusCode).toBe(200);
    now += 3_600_001;
    try {
      expect((await get('/api/v1/devices', { authorization: `Bearer ${old.key}` }, '10.0.0.3')).statusCode).toBe(401);
      expect((await get('/api/v1/devices', { authorization: `Bearer ${fresh.key}` })).statusCode).toBe(200);
    } finally {
      now -= 3_600_001;
    }
  });

  it('lets an enterprise manager manage only its own staff', async () => {
    const post = (payload: object) => f.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: f.auth('managerZb'), payload });
    expect((await post({ role: 'operator', enterpriseId: 'ent-zb', name: 'op' })).statusCode).toBe(201);
    expect((await post({ role: 'enterprise_manager', enterpriseId: 'ent-zb', name: 'm2' })).statusCode).toBe(403);
    expect((await post({ role: 'admin', name: 'me' })).statusCode).toBe(403);
    expect((await post({ role: 'regulator', regionPrefix: '37', name: 'r' })).statusCode).toBe(403);
    expect((await post({ role: 'operator', enterpriseId: 'ent-zz', name: 'op' })).statusCode).toBe(403);
    const list = await f.app.inject({ url: '/api/v1/api-keys?limit=500', headers: f.auth('managerZb') });
    const keys = list.json().items as Array<{ enterpriseId: string | null; role: string }>;
    expect(keys.length).toBeGreaterThan(2);
    expect(keys.every((k) => k.enterpriseId === 'ent-zb')).toBe(true);
    // Another manager of the same enterprise is not its to revoke.
    const peer = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'enterprise_manager', enterpriseId: 'ent-zb', name: 'peer' },
    });
    expect((await f.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${peer.json().apiKey.id}`, headers: f.auth('managerZb') })).statusCode).toBe(403);
  });

  it('refuses to revoke the last active admin key', async () => {
    const db = await createTestDatabase({ timescale: 'off' });
    const app = await buildApp({ pool: db.pool, log: createLogger({ level: 'silent' }) });
    try {
      const first = await ensureAdminKey(db.pool);
      if (!first) throw new Error('no bootstrap key');
      const h = { authorization: `Bearer ${first.key}` };
      const last = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${first.id}`, headers: h });
      expect(last.statusCode).toBe(409);
      expect(last.json().code).toBe('HW_API_CONFLICT');
      const second = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: h, payload: { role: 'admin', name: 'alice' } });
      const h2 = { authorization: `Bearer ${second.json().key}` };
      expect((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${first.id}`, headers: h2 })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/enterprises', headers: h })).statusCode).toBe(401);
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('validates key bodies with reasons', async () => {
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'regulator', regionPrefix: '370', name: '' },
    });
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body.code).toBe('HW_API_VALIDATION');
    expect(body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.name', 'body.regionPrefix']);
    const past = await f.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: f.auth('admin'),
      payload: { role: 'admin', name: 'x', expiresAt: now - 1 },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().details).toEqual([{ path: 'body.expiresAt', message: 'must be in the future' }]);
  });
});

describe('ensureAdminKey', () => {
  it('creates one admin key on first start, returns it once, stores only its hash', async () => {
    const db = await createTestDatabase({ timescale: 'off' });
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => ensureAdminKey(db.pool)));
      const created = results.filter((r) => r !== null);
      expect(created).toHaveLength(1);
      expect(await ensureAdminKey(db.pool)).toBeNull();
      const rows = await db.pool.query('SELECT id, role, bootstrap, expires_at, key_hash FROM api_keys');
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]).toMatchObject({ role: 'admin', bootstrap: true, expires_at: null });
      expect(JSON.stringify(rows.rows)).not.toContain(created[0]?.key.slice(21));
    } finally {
      await db.drop();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 after too many failed authentications from one address, and only to that address', async () => {
    const ip = '192.0.2.10';
    const bad = { authorization: 'Bearer hwk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    for (let i = 0; i < 3; i++) expect((await get('/api/v1/enterprises', bad, ip)).statusCode).toBe(401);
    const limited = await get('/api/v1/enterprises', bad, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('HW_API_RATE_LIMITED');
    // Until the window ends, the address is refused before any key is checked.
    expect((await get('/api/v1/enterprises', f.auth('admin'), ip)).statusCode).toBe(429);
    expect((await get('/api/v1/enterprises', f.auth('admin'), '192.0.2.11')).statusCode).toBe(200);
  });

  it('limits expensive queries per key', async () => {
    const url = `/api/v1/telemetry/latest?enterpriseId=ent-zb`;
    expect((await get(url, f.auth('operatorZb'))).statusCode).toBe(200);
    expect((await get(url, f.auth('operatorZb'))).statusCode).toBe(200);
    const third = await get(url, f.auth('operatorZb'));
    expect(third.statusCode).toBe(429);
    expect(third.json()).toEqual({ code: 'HW_API_RATE_LIMITED', message: 'too many requests; retry later' });
    expect((await get(url, f.auth('managerZb'))).statusCode).toBe(200);
  });
});
