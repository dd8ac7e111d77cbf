import { execFileSync, spawnSync } from 'node:child_process';
import { createPool } from '@hazardwatch/db';
import { createLogger, enableDefaultMetrics } from '@hazardwatch/observability';
import { createTestDatabase } from '@hazardwatch/testkit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, listRoutes } from './app.js';
import { API_ERRORS } from './errors.js';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  enableDefaultMetrics();
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe('operations endpoints', () => {
  it('/healthz answers without a key', async () => {
    const r = await f.app.inject({ url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks the database and the injected probes', async () => {
    const r = await f.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'absent', broker: 'absent' } });

    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    const log = createLogger({ level: 'silent' });
    const ok = await buildApp({ pool: f.db.pool, log, redis, readiness: { broker: async () => undefined } });
    const bad = await buildApp({
      pool: f.db.pool,
      log,
      readiness: { redis: async () => Promise.reject(new Error('down')), broker: () => new Promise(() => undefined) },
    });
    try {
      const good = await ok.inject({ url: '/readyz' });
      expect(good.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', broker: 'ok' } });
      const down = await bad.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ status: 'not_ready', checks: { database: 'ok', redis: 'fail', broker: 'fail' } });
    } finally {
      await ok.close();
      await bad.close();
      redis.disconnect();
    }
  });

  it('/readyz is 503 when the database is unreachable', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    const app = await buildApp({ pool, log: createLogger({ level: 'silent' }) });
    try {
      const r = await app.inject({ url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json().checks.database).toBe('fail');
      // Any authenticated route: the key lookup fails → 503, not 500, and nothing about the database leaks.
      const e = await app.inject({ url: '/api/v1/enterprises', headers: f.auth('admin') });
      expect(e.statusCode).toBe(503);
      expect(e.json()).toEqual({ code: 'HW_API_UNAVAILABLE', message: 'a backing service is unavailable; retry later' });
    } finally {
      await app.close();
      await pool.end();
    }
  });

  it('/metrics serves the shared registry with HTTP metrics by route pattern', async () => {
    await f.app.inject({ url: `/api/v1/enterprises/ent-zb`, headers: f.auth('admin') });
    const r = await f.app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/hazardwatch_http_requests_total\{method="GET",route="\/api\/v1\/enterprises\/:enterpriseId",status="200"\} \d+/);
    expect(r.body).toContain('hazardwatch_http_request_duration_seconds_bucket');
    expect(r.body).toContain('hazardwatch_process_cpu_user_seconds_total');
    expect(r.body).not.toContain('ent-zb');
  });

  it.skipIf(!hasPromtool && process.env.CI !== 'true')('/metrics passes `promtool check metrics`', async () => {
    // In CI the tool must be there (Debian package `prometheus`): a missing promtool fails here instead of skipping.
    expect(hasPromtool, 'promtool is not on the PATH (apt-get install prometheus)').toBe(true);
    await f.app.inject({ url: '/api/v1/hazard-sources', headers: f.auth('regulator37') });
    const text = (await f.app.inject({ url: '/metrics' })).body;
    const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // Exit 1 is a format error, exit 3 lint findings: neither is acceptable.
    expect(`${out.stdout}${out.stderr}`.trim()).toBe('');
    expect(out.status).toBe(0);
  });

  it('/metrics can require an admin key or a scraper token', async () => {
    const log = createLogger({ level: 'silent' });
    const withKey = await buildApp({ pool: f.db.pool, log, config: { metrics: 'api-key' } });
    const withToken = await buildApp({ pool: f.db.pool, log, config: { metrics: { bearerToken: 'scrape-token-0123456789' } } });
    try {
      expect((await withKey.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await withKey.inject({ url: '/metrics', headers: f.auth('operatorZb') })).statusCode).toBe(401);
      expect((await withKey.inject({ url: '/metrics', headers: f.auth('admin') })).statusCode).toBe(200);
      expect((await withToken.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await withToken.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } })).statusCode).toBe(200);
    } finally {
      await withKey.close();
      await withToken.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every route, with valid references, at /api/v1/openapi.json', async () => {
    const r = await f.app.inject({ url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = listRoutes(f.app).filter((x) => !x.hidden && !x.url.startsWith('/docs'));
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths?.[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${path} missing from the OpenAPI document`).toBeDefined();
      expect(Object.keys(op.responses ?? {}).length, `${route.method} ${path} has no responses`).toBeGreaterThan(0);
      expect(op.summary, `${route.method} ${path} has no summary`).toBeTruthy();
    }
    // Every $ref points at a schema the document defines.
    const refs = [...r.body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas[ref], `dangling $ref ${ref}`).toBeDefined();
    expect(r.body).not.toMatch(/"\$ref":"[^"]*#[^"]*#/);
    // The Swagger UI page reads the same, tidied document.
    expect((await f.app.inject({ url: '/docs/json' })).json()).toEqual(doc);
  });

  it('holds JSON Schemas (2020-12) that compile, for every component and every operation', async () => {
    const doc = (await f.app.inject({ url: '/api/v1/openapi.json' })).json();
    // Formats (email, uri, date-time) are documentation here; the schemas themselves must compile.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...doc, $id: 'openapi' });
    for (const name of Object.keys(doc.components.schemas)) expect(() => ajv.compile({ $ref: `openapi#/components/schemas/${name}` }), name).not.toThrow();
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown; parameters?: unknown[] }>>)) {
      for (const [method, op] of Object.entries(item)) {
        const pointer = `openapi#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}`;
        for (const [status] of Object.entries((op as { responses: Record<string, unknown> }).responses)) {
          const res = (op as { responses: Record<string, { content?: Record<string, unknown> }> }).responses[status];
          for (const type of Object.keys(res?.content ?? {}))
            expect(
              () => ajv.compile({ $ref: `${pointer}/responses/${status}/content/${type.replaceAll('/', '~1')}/schema` }),
              `${method} ${path} ${status}`,
            ).not.toThrow();
        }
        operations++;
      }
    }
    expect(operations).toBeGreaterThan(60);
    // And a real answer validates against its documented schema.
    const validate = ajv.compile({ $ref: 'openapi#/components/schemas/HazardSource' });
    const h = (await f.app.inject({ url: '/api/v1/hazard-sources/hs-zb-tank', headers: f.auth('admin') })).json();
    expect(validate(h), JSON.stringify(validate.errors)).toBe(true);
  });

  it('serves the interactive page at /docs', async () => {
    const r = await f.app.inject({ url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('errors', () => {
  it('answers unknown routes with the error shape', async () => {
    const r = await f.app.inject({ url: '/api/v1/nope', headers: f.auth('admin') });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 'HW_API_NOT_FOUND', message: 'no such route' });
  });

  it('answers malformed JSON, a wrong content type and an oversized body with stable codes', async () => {
    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/v1/enterprises',
      headers: { ...f.auth('admin'), 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('HW_API_MALFORMED_BODY');
    const type = await f.app.inject({
      method: 'POST',
      url: '/api/v1/enterprises',
      headers: { ...f.auth('admin'), 'content-type': 'text/xml' },
      payload: '<x/>',
    });
    expect(type.statusCode).toBe(415);
    expect(type.json().code).toBe('HW_API_UNSUPPORTED_MEDIA_TYPE');
    const small = await buildApp({ pool: f.db.pool, log: createLogger({ level: 'silent' }), config: { bodyLimitBytes: 100 } });
    try {
      const big = await small.inject({
        method: 'POST',
        url: '/api/v1/enterprises',
        headers: f.auth('admin'),
        payload: { id: 'x', name: 'y'.repeat(500), regionCode: '370000' },
      });
      expect(big.statusCode).toBe(413);
      expect(big.json().code).toBe('HW_API_PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('never answers with SQL, stack traces or internals', async () => {
    const db = await createTestDatabase({ timescale: 'off' });
    const app = await buildApp({ pool: db.pool, log: createLogger({ level: 'silent' }) });
    try {
      await db.pool.query('DROP TABLE api_keys CASCADE');
      const r = await app.inject({ url: '/api/v1/enterprises', headers: f.auth('admin') });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({ code: 'HW_API_INTERNAL', message: 'internal error' });
      expect(r.body).not.toMatch(/api_keys|relation|SELECT|at .*\.ts/);
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('has an HTTP status for every code', () => {
    for (const [code, status] of Object.entries(API_ERRORS)) {
      expect(code).toMatch(/^HW_API_[A-Z_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('promtool presence', () => {
  it('is reported', () => {
    if (hasPromtool) expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool/);
  });
});
