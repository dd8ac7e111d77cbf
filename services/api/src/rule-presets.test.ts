import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

type Key = Parameters<ApiFixture['auth']>[0];
const get = (url: string, key: Key = 'managerZb') => f.app.inject({ url, headers: f.auth(key) });
const post = (payload: object, key: Key = 'managerZb') => f.app.inject({ method: 'POST', url: '/api/v1/rules/from-preset', payload, headers: f.auth(key) });
const nh3 = (t: 'zb' | 'zz') => f.sites[t].pointIds[`dev-${t}-1.nh3`] ?? -1;
const toxic = (t: 'zb' | 'zz', over: Record<string, unknown> = {}) => ({
  presetId: 'gas-toxic',
  ruleId: `nh3-toxic-${t}`,
  enterpriseId: `ent-${t}`,
  pointId: nh3(t),
  params: { exposureLimit: { basis: 'oel', oelPpm: 20 } },
  ...over,
});

describe('GET /rule-presets', () => {
  it('lists every preset with its clause, target fields and a params JSON Schema that validates', async () => {
    const r = await get('/api/v1/rule-presets', 'regulator3703');
    expect(r.statusCode).toBe(200);
    const items: Array<{ id: string; source: string; kind: string; target: unknown; paramsSchema: Record<string, unknown> }> = r.json().items;
    expect(items.map((p) => p.id)).toEqual(
      expect.arrayContaining(['gas-combustible', 'gas-toxic', 'gas-oxygen', 'process-pressure', 'tailings-rainfall', 'vehicle-overspeed']),
    );
    const lel = items.find((p) => p.id === 'gas-combustible');
    expect(lel).toMatchObject({ kind: 'threshold', source: expect.stringContaining('GB/T 50493-2019 §5.5') });
    expect(lel?.target).toEqual([
      { field: 'hazardSourceId', required: false },
      { field: 'pointId', required: true },
    ]);
    // The fields sent beside params are not in its schema.
    const props = Object.keys((lel?.paramsSchema.properties ?? {}) as object);
    expect(props).toEqual(expect.arrayContaining(['firstLevelPctLel', 'secondLevelPctLel', 'name']));
    for (const k of ['ruleId', 'enterpriseId', 'version', 'pointId', 'hazardSourceId']) expect(props).not.toContain(k);
    expect(items.find((p) => p.id === 'vehicle-overspeed')?.target).toEqual([{ field: 'vehicleId', required: false }]);
    expect(items.find((p) => p.id === 'tailings-rainfall')?.target).toEqual([
      { field: 'hazardSourceId', required: false },
      { field: 'pointIds', required: true },
    ]);

    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(lel?.paramsSchema ?? {});
    expect(validate({ firstLevelPctLel: 20 })).toBe(true);
    expect(validate({ firstLevelPctLel: 30 })).toBe(false);
    expect(validate({ colour: 'red' })).toBe(false);
  });

  it('needs a key', async () => {
    expect((await f.app.inject({ url: '/api/v1/rule-presets' })).statusCode).toBe(401);
  });
});

describe('POST /rules/from-preset', () => {
  it('instantiates a preset for a point and stores version 1 with who and when; the hazard source comes from the point', async () => {
    const r = await post(toxic('zb', { note: 'NH3 detector, GBZ 2.1 OEL' }));
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({
      ruleId: 'nh3-toxic-zb',
      version: 1,
      partitionKey: 'source:hs-zb-tank',
      changeNote: 'NH3 detector, GBZ 2.1 OEL',
      changedBy: expect.stringMatching(/^key:[0-9a-f]{16}$/),
      rule: {
        id: 'nh3-toxic-zb',
        enterpriseId: 'ent-zb',
        hazardSourceId: 'hs-zb-tank',
        kind: 'threshold',
        pointId: nh3('zb'),
        latching: true,
        source: expect.stringContaining('GB/T 50493'),
        levels: [
          { name: 'FIRST', colour: 'orange', side: 'high', setpoint: 20 },
          { name: 'SECOND', colour: 'red', side: 'high', setpoint: 40 },
        ],
      },
    });
    expect(body.changedAt).toBeGreaterThan(0);
    const versions = (await get('/api/v1/rules/nh3-toxic-zb/versions', 'regulator3703')).json().items;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1]);
    // Same rule id again: the store's conflict.
    expect((await post(toxic('zb'))).statusCode).toBe(409);
  });

  it('admin instantiates for any enterprise; a vehicle preset takes a vehicle', async () => {
    const r = await post(
      { presetId: 'vehicle-overspeed', ruleId: 'zz-overspeed', enterpriseId: 'ent-zz', vehicleId: 'veh-zz-1', params: { durationMs: 30_000 } },
      'admin',
    );
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ partitionKey: 'vehicle:veh-zz-1', rule: { kind: 'vehicle', vehicleId: 'veh-zz-1', hazardSourceId: null } });
  });

  it('answers bad parameters with the preset’s reasons (400)', async () => {
    const capped = await post(toxic('zb', { presetId: 'gas-combustible', ruleId: 'lel-bad', params: { firstLevelPctLel: 30 } }));
    expect(capped.statusCode).toBe(400);
    expect(capped.json()).toMatchObject({
      code: 'HW_API_VALIDATION',
      details: [{ path: 'body.params.firstLevelPctLel', message: 'GB/T 50493-2019 §5.5 allows at most 25 %LEL' }],
    });
    const order = await post(toxic('zb', { presetId: 'gas-combustible', ruleId: 'lel-bad', params: { firstLevelPctLel: 20, secondLevelPctLel: 15 } }));
    expect(order.json().details).toEqual([{ path: 'body.params.secondLevelPctLel', message: 'the second level must be above the first' }]);
    const missing = await post(toxic('zb', { params: {} }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details[0].path).toBe('body.params.exposureLimit');
    const unknown = await post(toxic('zb', { presetId: 'gas-imaginary' }));
    expect(unknown.json()).toMatchObject({ code: 'HW_API_VALIDATION', details: [{ path: 'body.presetId' }] });
    const inside = await post(toxic('zb', { params: { exposureLimit: { basis: 'oel', oelPpm: 20 }, enterpriseId: 'ent-zz', version: 3 } }));
    expect(inside.json().details).toEqual([
      { path: 'body.params.enterpriseId', message: 'send enterpriseId beside params, not in it' },
      { path: 'body.params.version', message: 'a rule made from a preset starts at version 1' },
    ]);
    const wrongTarget = await post(toxic('zb', { vehicleId: 'veh-zb-1' }));
    expect(wrongTarget.json().details).toEqual([
      { path: 'body.vehicleId', message: 'preset gas-toxic does not take vehicleId (it takes hazardSourceId, pointId)' },
    ]);
    const body = await post({ presetId: 'gas-toxic', enterpriseId: 'ent-zb', params: {} });
    expect(body.json()).toMatchObject({ code: 'HW_API_VALIDATION', details: [{ path: 'body.ruleId' }] });
    // A point of another enterprise: refused by the register, without naming that enterprise.
    const cross = await post(toxic('zb', { ruleId: 'cross', pointId: nh3('zz'), hazardSourceId: 'hs-zb-tank' }));
    expect(cross.statusCode).toBe(400);
    expect(cross.body).not.toContain('ent-zz');
    expect(cross.body).not.toContain('hs-zz');
  });

  it('404 for an enterprise out of scope, 403 for a role that does not change rules', async () => {
    const out = await post(toxic('zz'));
    expect(out.statusCode).toBe(404);
    expect(out.json().code).toBe('HW_API_NOT_FOUND');
    expect((await post(toxic('zb', { ruleId: 'by-operator' }), 'operatorZb')).statusCode).toBe(403);
    expect((await post(toxic('zb', { ruleId: 'by-regulator' }), 'regulator3703')).statusCode).toBe(403);
    expect((await get('/api/v1/rules/by-operator', 'admin')).statusCode).toBe(404);
  });
});
