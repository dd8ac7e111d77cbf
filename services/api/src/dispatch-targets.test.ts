import { createLogger } from '@hazardwatch/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

type Key = Parameters<ApiFixture['auth']>[0];
const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, key: Key = 'regulator3703') =>
  f.app.inject({ method, url, headers: f.auth(key), ...(payload ? { payload } : {}) });
const target = (scope: object, secret = 'a-signing-secret-of-at-least-32-chars!') => ({
  name: 'bureau duty desk',
  url: 'https://bureau.example.gov.cn/hw',
  scope,
  eventTypes: ['raised', 'escalated'],
  minColour: 'yellow',
  secret,
});

describe('dispatch targets', () => {
  it('lets a regulator subscribe within its region only, and never shows a secret', async () => {
    const created = await call('POST', '/api/v1/dispatch/targets', target({ regionPrefix: '370321' }));
    expect(created.statusCode).toBe(201);
    const t = created.json();
    expect(t).toMatchObject({ scope: { regionPrefix: '370321' }, enabled: true, allowInsecureHttp: false });
    expect(created.body).not.toContain('a-signing-secret');
    expect((await call('POST', '/api/v1/dispatch/targets', target({ regionPrefix: '37' }))).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/dispatch/targets', target({ regionPrefix: '3704' }))).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/dispatch/targets', target({ enterpriseId: 'ent-zz' }))).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/dispatch/targets', target({ enterpriseId: 'ent-zb' }))).statusCode).toBe(201);

    const list = (await call('GET', '/api/v1/dispatch/targets?limit=500')).json().items as Array<{ id: string; scope: object }>;
    expect(list.map((x) => x.id)).toContain(t.id);
    expect(list.every((x) => !JSON.stringify(x.scope).includes('ent-zz'))).toBe(true);
    expect((await call('GET', `/api/v1/dispatch/targets/${t.id}`, undefined, 'regulator3704')).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/dispatch/targets/${t.id}`, undefined, 'managerZb')).statusCode).toBe(404);

    const widened = await call('PATCH', `/api/v1/dispatch/targets/${t.id}`, { scope: { regionPrefix: '37' } });
    expect(widened.statusCode).toBe(404);
    const patched = await call('PATCH', `/api/v1/dispatch/targets/${t.id}`, { enabled: false, minColour: 'red' });
    expect(patched.json()).toMatchObject({ enabled: false, minColour: 'red', eventTypes: ['raised', 'escalated'] });
    expect((await call('PUT', `/api/v1/dispatch/targets/${t.id}/secret`, { secret: 'short' })).statusCode).toBe(400);
    expect((await call('PUT', `/api/v1/dispatch/targets/${t.id}/secret`, { secret: 'b'.repeat(32) })).statusCode).toBe(204);
    const row = await f.db.pool.query('SELECT secret_sealed FROM dispatch_targets WHERE id = $1', [t.id]);
    expect((row.rows[0].secret_sealed as Buffer).toString('utf8')).not.toContain('bbbb');
    expect((await call('GET', `/api/v1/dispatch/targets/${t.id}/deliveries`)).json()).toEqual({ items: [], nextCursor: null });
    expect((await call('POST', `/api/v1/dispatch/targets/${t.id}/replay`, { ids: [1, 2] })).json()).toEqual({ requeued: 0 });
    expect((await call('DELETE', `/api/v1/dispatch/targets/${t.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/dispatch/targets/${t.id}`)).statusCode).toBe(404);
  });

  it('validates targets: https unless allowed, no credentials in the URL', async () => {
    const http = await call('POST', '/api/v1/dispatch/targets', { ...target({ enterpriseId: 'ent-zb' }), url: 'http://plain.example.cn/hook' }, 'managerZb');
    expect(http.statusCode).toBe(400);
    expect(http.json().details).toContainEqual({ path: 'body.url', message: 'the URL must be https (http only with allowInsecureHttp, for local tests)' });
    const creds = await call('POST', '/api/v1/dispatch/targets', { ...target({ enterpriseId: 'ent-zb' }), url: 'https://u:p@x.example.cn/' }, 'managerZb');
    expect(creds.json().details).toContainEqual({ path: 'body.url', message: 'the URL must not carry a user name or password' });
    expect((await call('POST', '/api/v1/dispatch/targets', target({ enterpriseId: 'ent-zb' }), 'operatorZb')).statusCode).toBe(403);
  });

  it('answers 503 for secrets when no secret box is wired', async () => {
    const app = await buildApp({ pool: f.db.pool, log: createLogger({ level: 'silent' }) });
    try {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/dispatch/targets',
        headers: f.auth('managerZb'),
        payload: target({ enterpriseId: 'ent-zb' }),
      });
      expect(r.statusCode).toBe(503);
      expect(r.json().code).toBe('HW_API_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });
});
