import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, createApiFixture, ruleOf } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

type Key = Parameters<ApiFixture['auth']>[0];
const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, key: Key = 'managerZb') =>
  f.app.inject({ method, url, headers: f.auth(key), ...(payload ? { payload } : {}) });
const nh3 = (t: 'zb' | 'zz') => f.sites[t].pointIds[`dev-${t}-1.nh3`] ?? -1;

describe('rules', () => {
  it('creates, versions with optimistic concurrency, disables, lists versions and diffs', async () => {
    const doc = ruleOf('zb', nh3('zb'), { id: 'nh3-gb50493', latching: true, source: 'GB/T 50493-2019 §5.5' });
    const created = await call('POST', '/api/v1/rules', { rule: doc, note: 'first and second level' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ ruleId: 'nh3-gb50493', version: 1, partitionKey: 'source:hs-zb-tank', changeNote: 'first and second level' });
    expect(created.json().changedBy).toMatch(/^key:[0-9a-f]{16}$/);
    expect((await call('POST', '/api/v1/rules', { rule: doc })).statusCode).toBe(409);

    const v2 = await call('PUT', '/api/v1/rules/nh3-gb50493', {
      rule: { ...doc, levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 20 }] },
      expectedVersion: 1,
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json().version).toBe(2);
    const stale = await call('PUT', '/api/v1/rules/nh3-gb50493', { rule: doc, expectedVersion: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('HW_API_CONFLICT');

    const off = await call('POST', '/api/v1/rules/nh3-gb50493/disable', { note: 'detector maintenance' });
    expect(off.json()).toMatchObject({ version: 3, rule: { enabled: false } });
    expect((await call('GET', '/api/v1/rules?enabled=false', undefined, 'regulator3703')).json().items.map((r: { ruleId: string }) => r.ruleId)).toEqual([
      'nh3-gb50493',
    ]);
    const versions = (await call('GET', '/api/v1/rules/nh3-gb50493/versions', undefined, 'operatorZb')).json().items;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    const diff = (await call('GET', '/api/v1/rules/nh3-gb50493/diff?from=1&to=2', undefined, 'regulator3703')).json();
    expect(diff.changes).toContainEqual({ path: 'levels.0.setpoint', op: 'changed', before: 25, after: 20 });
    expect((await call('GET', '/api/v1/rules/nh3-gb50493/versions/9')).statusCode).toBe(404);
  });

  it('refuses invalid documents and documents that do not fit the register, with reasons', async () => {
    const bad = await call('POST', '/api/v1/rules', { rule: { ...ruleOf('zb', nh3('zb'), { id: 'bad-1' }), levels: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toContainEqual({ path: 'body.rule.levels', message: 'a threshold rule needs at least one level' });
    // A point of another enterprise under this enterprise's hazard source: never accepted.
    const cross = await call('POST', '/api/v1/rules', { rule: ruleOf('zb', nh3('zz'), { id: 'cross-1' }) });
    expect(cross.statusCode).toBe(400);
    expect(cross.json().code).toBe('HW_API_VALIDATION');
    expect(cross.body).not.toContain('ent-zz');
    // A rule for an enterprise out of scope reads as an unknown enterprise.
    expect((await call('POST', '/api/v1/rules', { rule: ruleOf('zz', nh3('zz'), { id: 'zz-2' }) })).statusCode).toBe(404);
    const moved = await call('PUT', '/api/v1/rules/rule-zb-nh3', { rule: ruleOf('zb', nh3('zb'), { id: 'other-id' }) });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().details).toEqual([{ path: 'body.rule.id', message: 'must be rule-zb-nh3' }]);
  });
});
