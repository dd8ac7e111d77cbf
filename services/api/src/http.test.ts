import { createLogger } from '@hazardwatch/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './create-api.js';
import { type ApiFixture, createApiFixture, T0 } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('over real HTTP', () => {
  it('listens on a free port, authenticates, streams CSV, and stops idempotently', async () => {
    const api = createApi({ pool: f.db.pool, log: createLogger({ level: 'silent' }), config: { host: '127.0.0.1', port: 0 } });
    const url = await api.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const anon = await fetch(`${url}/api/v1/enterprises`);
      expect(anon.status).toBe(401);
      expect(anon.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await anon.json()).toMatchObject({ code: 'HW_API_UNAUTHENTICATED' });
      const list = await fetch(`${url}/api/v1/enterprises`, { headers: { 'X-API-Key': f.keys.regulator3704 } });
      const body = (await list.json()) as { items: Array<{ id: string }> };
      expect(body.items.map((e) => e.id)).toEqual(['ent-zz']);
      expect(list.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

      const point = f.sites.zb.pointIds['dev-zb-1.p1'];
      const csv = await fetch(`${url}/api/v1/telemetry/export.csv?points=${point}&from=${T0}&to=${T0 + 3_600_000}`, { headers: f.auth('operatorZb') });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('transfer-encoding')).toBe('chunked');
      expect((await csv.text()).trimEnd().split('\n')).toHaveLength(61);

      const post = await fetch(`${url}/api/v1/hazard-sources`, {
        method: 'POST',
        headers: { ...f.auth('managerZb'), 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'hs-zb-http', enterpriseId: 'ent-zb', name: 'over HTTP', kind: 'warehouse', chemicals: [], peopleWithin500m: 0 }),
      });
      expect(post.status).toBe(201);
    } finally {
      await api.stop();
      await api.stop();
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await expect(api.start()).rejects.toThrow(/stopped/);
  });
});
