import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyMosquittoPassword } from '@hazardwatch/db';
import { freePort, waitForPort } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, createApiFixture, type SiteFileInput, siteOf } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (method: Method, url: string, payload?: unknown, key: Parameters<ApiFixture['auth']>[0] = 'admin') =>
  f.app.inject({ method, url, headers: f.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

describe('register CRUD', () => {
  it('enterprises: create, read, replace, conflict, delete', async () => {
    const e = { id: 'ent-new', name: 'Zhoucun Fine Chemicals', regionCode: '370306', park: 'Zhoucun park', contact: { name: 'Li', email: 'li@example.cn' } };
    const created = await call('POST', '/api/v1/enterprises', e);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual(e);
    expect((await call('POST', '/api/v1/enterprises', e)).statusCode).toBe(409);
    const replaced = await call('PUT', '/api/v1/enterprises/ent-new', { ...e, name: 'Zhoucun Chemicals', park: null });
    expect(replaced.json()).toEqual({ ...e, name: 'Zhoucun Chemicals', park: null });
    expect((await call('GET', '/api/v1/enterprises/ent-new')).json().name).toBe('Zhoucun Chemicals');
    expect((await call('DELETE', '/api/v1/enterprises/ent-new')).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/enterprises/ent-new')).statusCode).toBe(404);
  });

  it('a manager may edit its enterprise but not move it to another region', async () => {
    const e = siteOf('zb').enterprise;
    expect((await call('PUT', '/api/v1/enterprises/ent-zb', { ...e, contact: { name: 'new duty officer' } }, 'managerZb')).statusCode).toBe(200);
    const moved = await call('PUT', '/api/v1/enterprises/ent-zb', { ...e, regionCode: '370481' }, 'managerZb');
    expect(moved.statusCode).toBe(403);
    expect(moved.json().code).toBe('HW_API_FORBIDDEN');
    expect((await call('GET', '/api/v1/enterprises/ent-zb')).json().regionCode).toBe('370321');
  });

  it('hazard sources: create, replace, refuse a move to another enterprise, delete', async () => {
    const h = { id: 'hs-zb-unit2', enterpriseId: 'ent-zb', name: 'Synthesis unit', kind: 'process_unit', chemicals: [], peopleWithin500m: 12 };
    const created = await call('POST', '/api/v1/hazard-sources', h, 'managerZb');
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ ...h, dam: null });
    const moved = await call('PUT', '/api/v1/hazard-sources/hs-zb-unit2', { ...h, enterpriseId: 'ent-zz' });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().details).toEqual([{ path: 'body.enterpriseId', message: 'a hazard source cannot move to another enterprise' }]);
    const dam = await call('PUT', '/api/v1/hazard-sources/hs-zb-unit2', { ...h, kind: 'tailings_dam' });
    expect(dam.statusCode).toBe(400);
    expect(dam.json().details).toEqual([{ path: 'body.dam', message: 'a tailings dam needs its design data (grade, type, crest elevation)' }]);
    const ok = await call('PUT', '/api/v1/hazard-sources/hs-zb-unit2', {
      ...h,
      kind: 'tailings_dam',
      dam: { grade: 3, type: 'upstream', crestElevationM: 212.5 },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().dam).toEqual({ grade: 3, type: 'upstream', crestElevationM: 212.5 });
    expect((await call('DELETE', '/api/v1/hazard-sources/hs-zb-unit2', undefined, 'managerZb')).statusCode).toBe(204);
  });

  it('measuring points: device and hazard source must be of one enterprise', async () => {
    const p = { deviceId: 'dev-zb-1', channel: 'lel', hazardSourceId: 'hs-zb-tank', kind: 'combustible_gas', unit: '%LEL', rangeMin: 0, rangeMax: 100 };
    const created = await call('POST', '/api/v1/points', p, 'integratorZb');
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ ...p, enterpriseId: 'ent-zb' });
    expect(body.id).toBeGreaterThan(0);
    expect((await call('POST', '/api/v1/points', p, 'integratorZb')).statusCode).toBe(409);
    // Another enterprise's hazard source, even for an admin: not a point of this device.
    const cross = await call('POST', '/api/v1/points', { ...p, channel: 'x', hazardSourceId: 'hs-zz-tank' });
    expect(cross.statusCode).toBe(404);
    const range = await call('PUT', `/api/v1/points/${body.id}`, { ...p, rangeMin: 100, rangeMax: 0 });
    expect(range.statusCode).toBe(400);
    expect(range.json().details).toEqual([{ path: 'body.rangeMax', message: 'rangeMin must be below rangeMax' }]);
    const other = await call('PUT', `/api/v1/points/${body.id}`, { ...p, deviceId: 'dev-zz-1' });
    expect(other.json().details[0].path).toBe('body.deviceId');
    expect((await call('PUT', `/api/v1/points/${body.id}`, { ...p, hazardSourceId: 'hs-zz-tank' })).statusCode).toBe(404);
    expect((await call('PUT', `/api/v1/points/${body.id}`, { ...p, rangeMax: 50 })).json().rangeMax).toBe(50);
    expect((await call('DELETE', `/api/v1/points/${body.id}`)).statusCode).toBe(204);
  });

  it('vehicles and geofences', async () => {
    const v = await call('POST', '/api/v1/vehicles', { id: 'veh-zb-2', enterpriseId: 'ent-zb', plate: '鲁C99999', cargo: 'chlorine' }, 'integratorZb');
    expect(v.statusCode).toBe(201);
    expect(v.json().vehicle).toEqual({ id: 'veh-zb-2', enterpriseId: 'ent-zb', plate: '鲁C99999', cargo: 'chlorine' });
    expect(v.json().credential.username).toBe('veh-zb-2');
    const vehicle = v.json().vehicle;
    const renamed = await call('PUT', '/api/v1/vehicles/veh-zb-1', vehicle, 'managerZb');
    expect(renamed.json().details).toEqual([{ path: 'body.id', message: 'must equal the id in the path' }]);
    const moved = await call('PUT', '/api/v1/vehicles/veh-zb-2', { ...vehicle, enterpriseId: 'ent-zz' });
    expect(moved.json().details).toEqual([{ path: 'body.enterpriseId', message: 'a vehicle cannot move to another enterprise' }]);
    expect((await call('PUT', '/api/v1/vehicles/veh-zb-2', { ...vehicle, cargo: 'ammonia' }, 'managerZb')).json()).toEqual({ ...vehicle, cargo: 'ammonia' });
    const corridor = {
      id: 'gf-zb-route',
      enterpriseId: 'ent-zb',
      name: 'plant to port',
      kind: 'route_corridor',
      line: [
        [118.0, 36.8],
        [118.5, 37.1],
      ],
      corridorWidthM: 500,
    };
    expect((await call('POST', '/api/v1/geofences', corridor, 'managerZb')).json()).toEqual(corridor);
    const open = await call('POST', '/api/v1/geofences', {
      id: 'gf-zb-open',
      enterpriseId: 'ent-zb',
      name: 'bad',
      kind: 'no_entry',
      polygon: [
        [1, 1],
        [2, 1],
        [2, 2],
        [1, 2],
      ],
    });
    expect(open.statusCode).toBe(400);
    expect(open.json().details).toContainEqual({ path: 'body.polygon', message: 'polygon ring must be closed (first point = last point)' });
    expect((await call('POST', '/api/v1/geofences', corridor, 'integratorZb')).statusCode).toBe(403);
  });
});

describe('validation', () => {
  it('answers bad ids, queries and bodies with 400 and a reason per issue', async () => {
    const badId = await call('GET', '/api/v1/devices/has%2Fslash');
    expect(badId.statusCode).toBe(400);
    expect(badId.json()).toMatchObject({ code: 'HW_API_VALIDATION', details: [{ path: 'params.deviceId' }] });
    const badPoint = await call('GET', '/api/v1/points/abc');
    expect(badPoint.json().details[0].path).toBe('params.pointId');
    const badQuery = await call('GET', '/api/v1/enterprises?limit=0&region=3');
    expect(
      badQuery
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['query.limit', 'query.region']);
    const badCursor = await call('GET', '/api/v1/enterprises?cursor=not-a-cursor');
    expect(badCursor.json().details).toEqual([{ path: 'query.cursor', message: 'not a cursor this API issued' }]);
    const badBody = await call('POST', '/api/v1/enterprises', { id: 'x y', name: '', regionCode: '37', extra: 1 });
    expect(badBody.statusCode).toBe(400);
    const paths = badBody.json().details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.id', 'body.name', 'body.regionCode']));
    expect(badBody.json().details.every((d: { message: string }) => d.message.length > 0)).toBe(true);
    const noBody = await f.app.inject({ method: 'POST', url: '/api/v1/hazard-sources', headers: f.auth('admin') });
    expect(noBody.statusCode).toBe(400);
    const series = await call('GET', '/api/v1/telemetry/series?points=1,x&from=2025-01-01T00:00:00Z&to=2024-01-01T00:00:00Z');
    expect(series.json().details.map((d: { path: string }) => d.path)).toContain('query.points');
    const reversed = await call('GET', '/api/v1/telemetry/series?points=1&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z');
    expect(reversed.json().details).toEqual([{ path: 'query.to', message: 'to must be after from' }]);
  });
});

describe('device credentials', () => {
  it('issue a broker password once and store its Mosquitto $7$ hash', async () => {
    const r = await call('POST', '/api/v1/devices', { id: 'dev-zb-cred', enterpriseId: 'ent-zb', model: 'GQ-8' }, 'integratorZb');
    expect(r.statusCode).toBe(201);
    const { device, credential } = r.json();
    expect(device).toEqual({ id: 'dev-zb-cred', enterpriseId: 'ent-zb', model: 'GQ-8' });
    expect(credential.username).toBe('dev-zb-cred');
    expect(credential.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const row = await f.db.pool.query('SELECT password_hash, enterprise_id FROM mqtt_credentials WHERE username = $1', ['dev-zb-cred']);
    expect(row.rows[0].enterprise_id).toBe('ent-zb');
    expect(row.rows[0].password_hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(verifyMosquittoPassword(credential.password, row.rows[0].password_hash)).toBe(true);
    const rotated = await call('POST', '/api/v1/devices/dev-zb-cred/credential', undefined, 'managerZb');
    expect(rotated.json().password).not.toBe(credential.password);
    const after = await f.db.pool.query('SELECT password_hash FROM mqtt_credentials WHERE username = $1', ['dev-zb-cred']);
    expect(verifyMosquittoPassword(credential.password, after.rows[0].password_hash)).toBe(false);
    expect(verifyMosquittoPassword(rotated.json().password, after.rows[0].password_hash)).toBe(true);
  });

  const haveMosquitto = spawnSync('mosquitto', ['-h']).status !== null && spawnSync('mosquitto_pub', ['--help']).status !== null;
  it.skipIf(!haveMosquitto)('authenticate against a real Mosquitto with the exported password file', async () => {
    const made = await call('POST', '/api/v1/devices', { id: 'dev-zb-mqtt', enterpriseId: 'ent-zb' }, 'integratorZb');
    const { password } = made.json().credential;
    const file = await call('GET', '/api/v1/broker/password-file');
    expect(file.headers['content-type']).toMatch(/^text\/plain/);
    expect(file.body).toMatch(/^dev-zb-mqtt:\$7\$101\$/m);
    const dir = await mkdtemp(join(tmpdir(), 'hw-api-mosq-'));
    const port = await freePort();
    // Run as root, Mosquitto drops to its own user before it reads the password file.
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'passwd'), file.body, { mode: 0o644 });
    await writeFile(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${join(dir, 'passwd')}\nlog_dest none\n`);
    let broker: ChildProcess | undefined;
    try {
      broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
      await waitForPort(port);
      const pub = (user: string, pass: string) =>
        spawnSync(
          'mosquitto_pub',
          ['-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', pass, '-t', 'hw/v1/ent-zb/dev-zb-mqtt/status', '-m', '{"online":true}'],
          {
            encoding: 'utf8',
            timeout: 5_000,
          },
        );
      expect(pub('dev-zb-mqtt', password).status).toBe(0);
      expect(pub('dev-zb-mqtt', `${password}x`).status).not.toBe(0);
    } finally {
      broker?.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('site files', () => {
  it('export then import reproduces the register (idempotent)', async () => {
    const exported = await call('GET', '/api/v1/enterprises/ent-zz/site-file', undefined, 'regulator3704');
    expect(exported.statusCode).toBe(200);
    const file = exported.json();
    expect(file.version).toBe(1);
    expect(file.enterprise.id).toBe('ent-zz');
    expect(file.devices[0].points.map((p: { channel: string }) => p.channel).sort()).toEqual(['nh3', 'p1']);
    const imported = await call('POST', '/api/v1/site-files', file, 'managerZz');
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toMatchObject({ enterpriseId: 'ent-zz', devices: 1, points: 2, vehicles: 1, geofences: 1 });
    expect(imported.json().pointIds).toEqual(f.sites.zz.pointIds);
    expect((await call('GET', '/api/v1/enterprises/ent-zz/site-file')).json()).toEqual(file);
  });

  it('refuses a file that would take over another enterprise’s ids', async () => {
    const site: SiteFileInput = siteOf('zb');
    site.devices = [...(site.devices ?? []), { id: 'dev-zz-1', points: [] }];
    const r = await call('POST', '/api/v1/site-files', site, 'managerZb');
    expect(r.statusCode).toBe(409);
    expect(r.json().details).toEqual([{ path: 'body.devices/dev-zz-1', message: 'id taken by another enterprise' }]);
    expect((await call('GET', '/api/v1/devices/dev-zz-1')).json().enterpriseId).toBe('ent-zz');
  });

  it('lets a manager import only into its own enterprise, in its region', async () => {
    expect((await call('POST', '/api/v1/site-files', siteOf('zz'), 'managerZb')).statusCode).toBe(404);
    const moved = siteOf('zb');
    moved.enterprise.regionCode = '370481';
    expect((await call('POST', '/api/v1/site-files', moved, 'managerZb')).statusCode).toBe(403);
    const bad = { ...siteOf('zb'), devices: [{ id: 'dev-zb-9', points: [{ channel: 'a', kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 1 }] }] };
    const invalid = await call('POST', '/api/v1/site-files', bad, 'managerZb');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().details).toEqual([
      { path: 'body.devices.0.points.0.hazardSourceId', message: 'point has no hazard source (set it on the point or the device)' },
    ]);
  });
});

describe('GB 18218 grading through the API', () => {
  it('grades a worked example: chlorine 20 t + ammonia 50 t, 120 people within 500 m → R = 52, level 2', async () => {
    const h = {
      id: 'hs-zb-chlor',
      enterpriseId: 'ent-zb',
      name: 'Chlor-alkali storage',
      kind: 'warehouse',
      peopleWithin500m: 120,
      chemicals: [
        { name: 'chlorine', cas: '7782-50-5', quantityT: 20, criticalQuantityT: 5, beta: 4 },
        { name: 'ammonia', cas: '7664-41-7', quantityT: 50, criticalQuantityT: 10, beta: 2 },
      ],
    };
    expect((await call('POST', '/api/v1/hazard-sources', h, 'managerZb')).statusCode).toBe(201);
    const g = await call('GET', '/api/v1/hazard-sources/hs-zb-chlor/grading', undefined, 'regulator3703');
    expect(g.statusCode).toBe(200);
    // S = 20/5 + 50/10 = 9 (≥ 1: major); Σβq/Q = 4·4 + 2·5 = 26; α = 2.0 (100人以上); R = 52 → level 2 (50 ≤ R < 100).
    expect(g.json()).toEqual({
      terms: [
        { name: 'chlorine', cas: '7782-50-5', quantityT: 20, criticalQuantityT: 5, ratio: 4, beta: 4, weightedRatio: 16 },
        { name: 'ammonia', cas: '7664-41-7', quantityT: 50, criticalQuantityT: 10, ratio: 5, beta: 2, weightedRatio: 10 },
      ],
      s: 9,
      isMajorHazardSource: true,
      weightedSum: 26,
      peopleWithin500m: 120,
      alpha: 2,
      alphaBandZh: '100人以上',
      r: 52,
      level: 2,
    });
  });

  it('does not grade a unit below the threshold (S < 1)', async () => {
    const h = {
      id: 'hs-zb-meoh',
      enterpriseId: 'ent-zb',
      name: 'Methanol day tank',
      kind: 'tank_farm',
      peopleWithin500m: 10,
      chemicals: [{ name: 'methanol', cas: '67-56-1', quantityT: 400, criticalQuantityT: 500, beta: 1 }],
    };
    await call('POST', '/api/v1/hazard-sources', h);
    const g = (await call('GET', '/api/v1/hazard-sources/hs-zb-meoh/grading')).json();
    expect(g).toMatchObject({ s: 0.8, isMajorHazardSource: false, alpha: 1, r: 0.8, level: null });
  });
});

describe('risk colour', () => {
  it('is set by the enterprise, kept with its history, and visible to its regulators only', async () => {
    const url = '/api/v1/hazard-sources/hs-zb-tank/risk';
    expect((await call('GET', url, undefined, 'regulator3703')).json()).toEqual({ hazardSourceId: 'hs-zb-tank', current: null });
    const first = await call('PUT', url, { colour: 'yellow', reason: 'HAZOP 2024' }, 'managerZb');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ colour: 'yellow', reason: 'HAZOP 2024', setBy: expect.stringMatching(/^key:[0-9a-f]{16}$/) });
    await call('PUT', url, { colour: 'red' }, 'managerZb');
    expect((await call('PUT', url, { colour: 'purple' }, 'managerZb')).statusCode).toBe(400);
    expect((await call('PUT', url, { colour: 'blue' }, 'operatorZb')).statusCode).toBe(403);
    expect((await call('PUT', url, { colour: 'blue' }, 'regulator3703')).statusCode).toBe(403);
    const now = await call('GET', url, undefined, 'regulator3703');
    expect(now.json().current.colour).toBe('red');
    const page1 = await call('GET', `${url}/history?limit=1`, undefined, 'regulator37');
    expect(page1.json().items.map((a: { colour: string }) => a.colour)).toEqual(['red']);
    const page2 = await call('GET', `${url}/history?limit=1&cursor=${page1.json().nextCursor}`, undefined, 'regulator37');
    expect(page2.json().items.map((a: { colour: string }) => a.colour)).toEqual(['yellow']);
    expect(page2.json().nextCursor).toBeNull();
    expect((await call('GET', url, undefined, 'regulator3704')).statusCode).toBe(404);
  });
});
