import { createRule, insertDevice, insertEnterprise, insertGeofence, insertHazardSource, insertPoint, insertVehicle } from '@hazardwatch/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRoutes } from './app.js';
import { createApiKey } from './auth/keys.js';
import type { Role } from './auth/principal.js';
import { type ApiFixture, createApiFixture, KEY_GRANTS, type KeyName, ruleOf, seedAlarm, seedTarget, siteOf, T0 } from './test-fixture.js';

/**
 * Every route × every role × a record in scope and one out of scope:
 * no key → 401; a role the route does not allow → 403; out of scope → 404 (lists: only
 * in-scope items); in scope → success. And no answer to a caller ever holds data of an
 * enterprise outside its scope.
 */

type Target = 'zb' | 'zz';
interface Request {
  url: string;
  body?: unknown;
}
interface Case {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as registered (for the coverage check). */
  route: string;
  roles: readonly Role[];
  /** What an allowed role gets in scope (503: the route needs a dependency this app has not). */
  ok: 200 | 201 | 204 | 503;
  /** Lists answer 200 with only in-scope items instead of 404. */
  list?: boolean;
  /** Aggregates (KPIs) answer 200 over nothing instead of 404. */
  aggregate?: boolean;
  /** Routes about no enterprise in particular (admin-only tools). */
  unscoped?: boolean;
  /** Status for an allowed role naming a record out of scope (default 404). */
  outOfScope?: number;
  build(t: Target): Promise<Request> | Request;
}

const ALL: readonly Role[] = ['admin', 'enterprise_manager', 'operator', 'regulator', 'integrator'];
const MANAGE: readonly Role[] = ['admin', 'enterprise_manager'];
const PROVISION: readonly Role[] = ['admin', 'enterprise_manager', 'integrator'];
const ADMIN: readonly Role[] = ['admin'];
const DEAD_LETTERS: readonly Role[] = ['admin', 'enterprise_manager', 'operator', 'integrator'];
const OPERATE: readonly Role[] = ['admin', 'enterprise_manager', 'operator'];
const TARGETS: readonly Role[] = ['admin', 'enterprise_manager', 'regulator'];
const COMMENT: readonly Role[] = ['admin', 'enterprise_manager', 'operator', 'regulator'];

/** Which targets each key sees. */
const SEES: Record<KeyName, readonly Target[]> = {
  admin: ['zb', 'zz'],
  managerZb: ['zb'],
  operatorZb: ['zb'],
  integratorZb: ['zb'],
  regulator3703: ['zb'],
  regulator37: ['zb', 'zz'],
  regulator3704: ['zz'],
  managerZz: ['zz'],
};

/** Strings that identify each enterprise's data. */
const MARKS: Record<Target, string[]> = {
  zb: ['ent-zb', 'Huantai', 'hs-zb', 'dev-zb', 'veh-zb', 'gf-zb', '370321', 'secret-of":"ent-zb', '鲁C12345'],
  zz: ['ent-zz', 'Tengzhou', 'hs-zz', 'dev-zz', 'veh-zz', 'gf-zz', '370481', 'secret-of":"ent-zz', '鲁D54321'],
};

let f: ApiFixture;
let n = 0;
const uid = (t: Target) => `${t}-tmp-${++n}`;
const admin = { kind: 'all' } as const;

beforeAll(async () => {
  f = await createApiFixture({ config: { authFailureLimit: { max: 100_000, windowMs: 60_000 } } });
});
afterAll(async () => {
  await f?.close();
});

const point = (t: Target) => {
  const id = f.sites[t].pointIds[`dev-${t}-1.nh3`];
  if (id === undefined) throw new Error('seed point missing');
  return id;
};
const range = `from=${T0}&to=${T0 + 3 * 3_600_000}`;

async function tmpHazardSource(t: Target): Promise<string> {
  const id = `hs-${uid(t)}`;
  await insertHazardSource(f.db.pool, admin, { id, enterpriseId: `ent-${t}`, name: 'tmp', kind: 'warehouse', chemicals: [], peopleWithin500m: 0 });
  return id;
}
async function tmpDevice(t: Target): Promise<string> {
  const id = `dev-${uid(t)}`;
  await insertDevice(f.db.pool, admin, { id, enterpriseId: `ent-${t}` });
  return id;
}
async function tmpVehicle(t: Target): Promise<string> {
  const id = `veh-${uid(t)}`;
  await insertVehicle(f.db.pool, admin, { id, enterpriseId: `ent-${t}`, plate: 'tmp' });
  return id;
}
async function tmpGeofence(t: Target): Promise<string> {
  const id = `gf-${uid(t)}`;
  await insertGeofence(f.db.pool, admin, geofence(t, id));
  return id;
}
async function tmpPoint(t: Target): Promise<number> {
  const id = await insertPoint(f.db.pool, admin, {
    deviceId: `dev-${t}-1`,
    channel: `c${++n}`,
    hazardSourceId: `hs-${t}-tank`,
    kind: 'temperature',
    unit: '°C',
    rangeMin: -40,
    rangeMax: 200,
  });
  if (id === null) throw new Error('tmp point not created');
  return id;
}
async function tmpKey(t: Target): Promise<string> {
  const { record } = await createApiKey(
    f.db.pool,
    { role: 'operator', enterpriseId: `ent-${t}`, name: 'tmp operator' },
    { createdBy: 'test', nowMs: Date.now() },
  );
  return record.id;
}
function geofence(t: Target, id: string) {
  return {
    id,
    enterpriseId: `ent-${t}`,
    name: 'tmp zone',
    kind: 'no_entry' as const,
    polygon: [
      [117, 35],
      [117.1, 35],
      [117.1, 35.1],
      [117, 35],
    ] as Array<[number, number]>,
  };
}
const region = (t: Target) => (t === 'zb' ? '370321' : '370481');
const alarm = (t: Target, opts: Parameters<typeof seedAlarm>[3] = {}) => seedAlarm(f.db.pool, t, point(t), opts);
const by = { actor: 'seed' };
async function tmpRule(t: Target, over: Record<string, unknown> = {}): Promise<string> {
  const id = `rule-${uid(t)}`;
  await createRule(f.db.pool, ruleOf(t, point(t), { id, ...over }), { by: 'test' });
  return id;
}
const action = (path: string, roles: readonly Role[], body: object, setup: (t: Target) => Promise<string> = (t) => alarm(t)): Case => ({
  method: 'POST',
  route: `/api/v1/alarms/:alarmId/${path}`,
  roles,
  ok: 200,
  build: async (t) => ({ url: `/api/v1/alarms/${await setup(t)}/${path}`, body }),
});

const CASES: Case[] = [
  // enterprises
  { method: 'GET', route: '/api/v1/enterprises', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/enterprises?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/enterprises',
    roles: ADMIN,
    ok: 201,
    unscoped: true,
    build: (t) => ({ url: '/api/v1/enterprises', body: { id: `ent-${uid(t)}`, name: 'new', regionCode: region(t) } }),
  },
  { method: 'GET', route: '/api/v1/enterprises/:enterpriseId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/enterprises/ent-${t}` }) },
  {
    method: 'PUT',
    route: '/api/v1/enterprises/:enterpriseId',
    roles: MANAGE,
    ok: 200,
    build: (t) => ({ url: `/api/v1/enterprises/ent-${t}`, body: siteOf(t).enterprise }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/enterprises/:enterpriseId',
    roles: ADMIN,
    ok: 204,
    build: async (t) => {
      const id = `ent-${uid(t)}`;
      await insertEnterprise(f.db.pool, { id, name: `tmp ${t}`, regionCode: region(t) });
      return { url: `/api/v1/enterprises/${id}` };
    },
  },
  // hazard sources, grading, risk
  { method: 'GET', route: '/api/v1/hazard-sources', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/hazard-sources?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/hazard-sources',
    roles: MANAGE,
    ok: 201,
    build: (t) => ({
      url: '/api/v1/hazard-sources',
      body: { id: `hs-${uid(t)}`, enterpriseId: `ent-${t}`, name: 'new', kind: 'process_unit', chemicals: [], peopleWithin500m: 3 },
    }),
  },
  { method: 'GET', route: '/api/v1/hazard-sources/:hazardSourceId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/hazard-sources/hs-${t}-tank` }) },
  {
    method: 'PUT',
    route: '/api/v1/hazard-sources/:hazardSourceId',
    roles: MANAGE,
    ok: 200,
    build: async (t) => {
      const id = await tmpHazardSource(t);
      return {
        url: `/api/v1/hazard-sources/${id}`,
        body: { id, enterpriseId: `ent-${t}`, name: 'renamed', kind: 'warehouse', chemicals: [], peopleWithin500m: 1 },
      };
    },
  },
  {
    method: 'DELETE',
    route: '/api/v1/hazard-sources/:hazardSourceId',
    roles: MANAGE,
    ok: 204,
    build: async (t) => ({ url: `/api/v1/hazard-sources/${await tmpHazardSource(t)}` }),
  },
  {
    method: 'GET',
    route: '/api/v1/hazard-sources/:hazardSourceId/grading',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/hazard-sources/hs-${t}-tank/grading` }),
  },
  {
    method: 'GET',
    route: '/api/v1/hazard-sources/:hazardSourceId/risk',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/hazard-sources/hs-${t}-tank/risk` }),
  },
  {
    method: 'PUT',
    route: '/api/v1/hazard-sources/:hazardSourceId/risk',
    roles: MANAGE,
    ok: 200,
    build: (t) => ({ url: `/api/v1/hazard-sources/hs-${t}-tank/risk`, body: { colour: 'orange', reason: 'annual review' } }),
  },
  {
    method: 'GET',
    route: '/api/v1/hazard-sources/:hazardSourceId/risk/history',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/hazard-sources/hs-${t}-tank/risk/history` }),
  },
  // devices
  { method: 'GET', route: '/api/v1/devices', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/devices?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/devices',
    roles: PROVISION,
    ok: 201,
    build: (t) => ({ url: '/api/v1/devices', body: { id: `dev-${uid(t)}`, enterpriseId: `ent-${t}`, model: 'GT-1' } }),
  },
  { method: 'GET', route: '/api/v1/devices/:deviceId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/devices/dev-${t}-1` }) },
  {
    method: 'PUT',
    route: '/api/v1/devices/:deviceId',
    roles: PROVISION,
    ok: 200,
    build: async (t) => {
      const id = await tmpDevice(t);
      return { url: `/api/v1/devices/${id}`, body: { id, enterpriseId: `ent-${t}`, name: 'renamed' } };
    },
  },
  { method: 'DELETE', route: '/api/v1/devices/:deviceId', roles: PROVISION, ok: 204, build: async (t) => ({ url: `/api/v1/devices/${await tmpDevice(t)}` }) },
  {
    method: 'POST',
    route: '/api/v1/devices/:deviceId/credential',
    roles: PROVISION,
    ok: 200,
    build: async (t) => ({ url: `/api/v1/devices/${await tmpDevice(t)}/credential` }),
  },
  // measuring points
  { method: 'GET', route: '/api/v1/points', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/points?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/points',
    roles: PROVISION,
    ok: 201,
    build: (t) => ({
      url: '/api/v1/points',
      body: { deviceId: `dev-${t}-1`, channel: `ch${++n}`, hazardSourceId: `hs-${t}-tank`, kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 20 },
    }),
  },
  { method: 'GET', route: '/api/v1/points/:pointId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/points/${point(t)}` }) },
  {
    method: 'PUT',
    route: '/api/v1/points/:pointId',
    roles: PROVISION,
    ok: 200,
    build: async (t) => {
      const id = await tmpPoint(t);
      return {
        url: `/api/v1/points/${id}`,
        body: { deviceId: `dev-${t}-1`, channel: `ren${++n}`, hazardSourceId: `hs-${t}-tank`, kind: 'temperature', unit: '°C', rangeMin: -20, rangeMax: 150 },
      };
    },
  },
  { method: 'DELETE', route: '/api/v1/points/:pointId', roles: PROVISION, ok: 204, build: async (t) => ({ url: `/api/v1/points/${await tmpPoint(t)}` }) },
  // vehicles
  { method: 'GET', route: '/api/v1/vehicles', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/vehicles?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/vehicles',
    roles: PROVISION,
    ok: 201,
    build: (t) => ({ url: '/api/v1/vehicles', body: { id: `veh-${uid(t)}`, enterpriseId: `ent-${t}`, plate: '鲁X00000' } }),
  },
  { method: 'GET', route: '/api/v1/vehicles/:vehicleId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/vehicles/veh-${t}-1` }) },
  {
    method: 'PUT',
    route: '/api/v1/vehicles/:vehicleId',
    roles: PROVISION,
    ok: 200,
    build: async (t) => {
      const id = await tmpVehicle(t);
      return { url: `/api/v1/vehicles/${id}`, body: { id, enterpriseId: `ent-${t}`, plate: '鲁Y11111', cargo: 'LPG' } };
    },
  },
  {
    method: 'DELETE',
    route: '/api/v1/vehicles/:vehicleId',
    roles: PROVISION,
    ok: 204,
    build: async (t) => ({ url: `/api/v1/vehicles/${await tmpVehicle(t)}` }),
  },
  {
    method: 'POST',
    route: '/api/v1/vehicles/:vehicleId/credential',
    roles: PROVISION,
    ok: 200,
    build: async (t) => ({ url: `/api/v1/vehicles/${await tmpVehicle(t)}/credential` }),
  },
  { method: 'GET', route: '/api/v1/vehicles/:vehicleId/track', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/vehicles/veh-${t}-1/track?${range}` }) },
  // geofences
  { method: 'GET', route: '/api/v1/geofences', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/geofences?enterpriseId=ent-${t}` }) },
  { method: 'POST', route: '/api/v1/geofences', roles: MANAGE, ok: 201, build: (t) => ({ url: '/api/v1/geofences', body: geofence(t, `gf-${uid(t)}`) }) },
  { method: 'GET', route: '/api/v1/geofences/:geofenceId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/geofences/gf-${t}-1` }) },
  {
    method: 'PUT',
    route: '/api/v1/geofences/:geofenceId',
    roles: MANAGE,
    ok: 200,
    build: async (t) => {
      const id = await tmpGeofence(t);
      return { url: `/api/v1/geofences/${id}`, body: { ...geofence(t, id), name: 'renamed' } };
    },
  },
  {
    method: 'DELETE',
    route: '/api/v1/geofences/:geofenceId',
    roles: MANAGE,
    ok: 204,
    build: async (t) => ({ url: `/api/v1/geofences/${await tmpGeofence(t)}` }),
  },
  // site files
  { method: 'POST', route: '/api/v1/site-files', roles: MANAGE, ok: 200, build: (t) => ({ url: '/api/v1/site-files', body: siteOf(t) }) },
  {
    method: 'GET',
    route: '/api/v1/enterprises/:enterpriseId/site-file',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/enterprises/ent-${t}/site-file` }),
  },
  // telemetry
  { method: 'GET', route: '/api/v1/telemetry/latest', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/telemetry/latest?enterpriseId=ent-${t}` }) },
  { method: 'GET', route: '/api/v1/telemetry/latest', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/telemetry/latest?hazardSourceId=hs-${t}-tank` }) },
  {
    method: 'GET',
    route: '/api/v1/telemetry/series',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/telemetry/series?points=${point(t)}&${range}&bucket=1m` }),
  },
  {
    method: 'GET',
    route: '/api/v1/telemetry/export.csv',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/telemetry/export.csv?points=${point(t)}&${range}` }),
  },
  {
    method: 'GET',
    route: '/api/v1/enterprises/:enterpriseId/dead-letters',
    roles: DEAD_LETTERS,
    ok: 200,
    build: (t) => ({ url: `/api/v1/enterprises/ent-${t}/dead-letters` }),
  },
  { method: 'GET', route: '/api/v1/dead-letters', roles: ADMIN, ok: 200, unscoped: true, build: () => ({ url: '/api/v1/dead-letters' }) },
  // API keys
  { method: 'GET', route: '/api/v1/api-keys', roles: MANAGE, ok: 200, list: true, build: (t) => ({ url: `/api/v1/api-keys?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/api-keys',
    roles: MANAGE,
    ok: 201,
    // Naming another enterprise is a grant the manager may not make: 403, the same whether it exists or not.
    outOfScope: 403,
    build: (t) => ({ url: '/api/v1/api-keys', body: { role: 'operator', enterpriseId: `ent-${t}`, name: 'new operator' } }),
  },
  { method: 'GET', route: '/api/v1/api-keys/:keyId', roles: MANAGE, ok: 200, build: async (t) => ({ url: `/api/v1/api-keys/${await tmpKey(t)}` }) },
  { method: 'DELETE', route: '/api/v1/api-keys/:keyId', roles: MANAGE, ok: 200, build: async (t) => ({ url: `/api/v1/api-keys/${await tmpKey(t)}` }) },
  {
    method: 'POST',
    route: '/api/v1/api-keys/:keyId/rotate',
    roles: MANAGE,
    ok: 201,
    build: async (t) => ({ url: `/api/v1/api-keys/${await tmpKey(t)}/rotate`, body: { graceMs: 0 } }),
  },
  // alarms
  { method: 'GET', route: '/api/v1/alarms', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/alarms?enterpriseId=ent-${t}` }) },
  { method: 'GET', route: '/api/v1/alarms/:alarmId', roles: ALL, ok: 200, build: async (t) => ({ url: `/api/v1/alarms/${await alarm(t)}` }) },
  { method: 'GET', route: '/api/v1/alarms/:alarmId/events', roles: ALL, ok: 200, build: async (t) => ({ url: `/api/v1/alarms/${await alarm(t)}/events` }) },
  action('acknowledge', OPERATE, { comment: 'seen' }),
  action('comment', COMMENT, { text: 'regional bureau informed' }),
  action('shelve', OPERATE, { durationMs: 600_000, reason: 'sensor calibration' }),
  action('unshelve', OPERATE, {}, (t) =>
    alarm(t, { at: Date.now(), followUp: [{ type: 'shelve', eventId: `sh-${uid(t)}`, durationMs: 600_000, reason: 'x', ...by }] }),
  ),
  // A rule's latch is reset through the rules worker, which this app is not connected to: past role and scope, 503.
  { ...action('reset', OPERATE, { reason: 'gas cleared, checked on site' }, (t) => alarm(t, { latching: true, clear: true })), ok: 503 },
  action('remove-from-service', MANAGE, { reason: 'detector replaced' }),
  action('return-to-service', MANAGE, {}, (t) => alarm(t, { followUp: [{ type: 'remove_from_service', eventId: `rm-${uid(t)}`, reason: 'x', ...by }] })),
  action('suppress', MANAGE, { reason: 'unit shut down' }),
  action('unsuppress', MANAGE, {}, (t) => alarm(t, { followUp: [{ type: 'suppress', eventId: `su-${uid(t)}`, reason: 'x', ...by }] })),
  {
    method: 'GET',
    route: '/api/v1/alarm-kpis',
    roles: ALL,
    ok: 200,
    aggregate: true,
    build: (t) => ({ url: `/api/v1/alarm-kpis?from=${T0}&to=${T0 + 86_400_000}&enterpriseId=ent-${t}` }),
  },
  { method: 'GET', route: '/api/v1/stream', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/stream?enterpriseId=ent-${t}` }) },
  // rules
  { method: 'GET', route: '/api/v1/rules', roles: ALL, ok: 200, list: true, build: (t) => ({ url: `/api/v1/rules?enterpriseId=ent-${t}` }) },
  {
    method: 'POST',
    route: '/api/v1/rules',
    roles: MANAGE,
    ok: 201,
    build: (t) => ({ url: '/api/v1/rules', body: { rule: ruleOf(t, point(t), { id: `rule-${uid(t)}` }), note: 'GB/T 50493-2019 §5.5' } }),
  },
  { method: 'GET', route: '/api/v1/rules/:ruleId', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/rules/rule-${t}-nh3` }) },
  {
    method: 'PUT',
    route: '/api/v1/rules/:ruleId',
    roles: MANAGE,
    ok: 200,
    build: async (t) => {
      const id = await tmpRule(t);
      return { url: `/api/v1/rules/${id}`, body: { rule: ruleOf(t, point(t), { id, name: 'renamed' }), expectedVersion: 1 } };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/rules/:ruleId/enable',
    roles: MANAGE,
    ok: 200,
    build: async (t) => ({ url: `/api/v1/rules/${await tmpRule(t, { enabled: false })}/enable`, body: { note: 'back in service' } }),
  },
  {
    method: 'POST',
    route: '/api/v1/rules/:ruleId/disable',
    roles: MANAGE,
    ok: 200,
    build: async (t) => ({ url: `/api/v1/rules/${await tmpRule(t)}/disable`, body: { note: 'maintenance' } }),
  },
  { method: 'GET', route: '/api/v1/rules/:ruleId/versions', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/rules/rule-${t}-nh3/versions` }) },
  {
    method: 'GET',
    route: '/api/v1/rules/:ruleId/versions/:version',
    roles: ALL,
    ok: 200,
    build: (t) => ({ url: `/api/v1/rules/rule-${t}-nh3/versions/1` }),
  },
  { method: 'GET', route: '/api/v1/rules/:ruleId/diff', roles: ALL, ok: 200, build: (t) => ({ url: `/api/v1/rules/rule-${t}-nh3/diff?from=1&to=1` }) },
  { method: 'GET', route: '/api/v1/rule-presets', roles: ALL, ok: 200, unscoped: true, build: () => ({ url: '/api/v1/rule-presets' }) },
  {
    method: 'POST',
    route: '/api/v1/rules/from-preset',
    roles: MANAGE,
    ok: 201,
    build: (t) => ({
      url: '/api/v1/rules/from-preset',
      body: {
        presetId: 'gas-toxic',
        ruleId: `rule-${uid(t)}`,
        enterpriseId: `ent-${t}`,
        pointId: point(t),
        params: { exposureLimit: { basis: 'oel', oelPpm: 25 } },
      },
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/rules/backtest',
    roles: MANAGE,
    ok: 200,
    build: (t) => ({ url: '/api/v1/rules/backtest', body: { rule: ruleOf(t, point(t), { id: `draft-${uid(t)}` }), from: T0, to: T0 + 3 * 3_600_000 } }),
  },
  // dispatch targets
  {
    method: 'GET',
    route: '/api/v1/dispatch/targets',
    roles: TARGETS,
    ok: 200,
    list: true,
    build: (t) => ({ url: `/api/v1/dispatch/targets?enterpriseId=ent-${t}` }),
  },
  {
    method: 'POST',
    route: '/api/v1/dispatch/targets',
    roles: TARGETS,
    ok: 201,
    build: (t) => ({
      url: '/api/v1/dispatch/targets',
      body: {
        name: `room ${t}`,
        url: `https://${t}.example.cn/new`,
        scope: { enterpriseId: `ent-${t}` },
        eventTypes: ['raised', 'escalated'],
        secret: 'k'.repeat(40),
      },
    }),
  },
  { method: 'GET', route: '/api/v1/dispatch/targets/:targetId', roles: TARGETS, ok: 200, build: (t) => ({ url: `/api/v1/dispatch/targets/tgt-${t}` }) },
  {
    method: 'PATCH',
    route: '/api/v1/dispatch/targets/:targetId',
    roles: TARGETS,
    ok: 200,
    build: async (t) => ({ url: `/api/v1/dispatch/targets/${await seedTarget(f.db.pool, t)}`, body: { minColour: 'orange' } }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/dispatch/targets/:targetId',
    roles: TARGETS,
    ok: 204,
    build: async (t) => ({ url: `/api/v1/dispatch/targets/${await seedTarget(f.db.pool, t)}` }),
  },
  {
    method: 'PUT',
    route: '/api/v1/dispatch/targets/:targetId/secret',
    roles: TARGETS,
    ok: 204,
    build: (t) => ({ url: `/api/v1/dispatch/targets/tgt-${t}/secret`, body: { secret: 'r'.repeat(48) } }),
  },
  {
    method: 'GET',
    route: '/api/v1/dispatch/targets/:targetId/deliveries',
    roles: TARGETS,
    ok: 200,
    build: (t) => ({ url: `/api/v1/dispatch/targets/tgt-${t}/deliveries` }),
  },
  {
    method: 'POST',
    route: '/api/v1/dispatch/targets/:targetId/replay',
    roles: TARGETS,
    ok: 200,
    build: (t) => ({ url: `/api/v1/dispatch/targets/tgt-${t}/replay`, body: {} }),
  },
  // broker
  { method: 'GET', route: '/api/v1/broker/password-file', roles: ADMIN, ok: 200, unscoped: true, build: () => ({ url: '/api/v1/broker/password-file' }) },
];

function expected(c: Case, key: KeyName, t: Target): number {
  const role = KEY_GRANTS[key].role;
  if (!c.roles.includes(role)) return 403;
  if (c.unscoped || SEES[key].includes(t)) return c.ok;
  if (c.list || c.aggregate) return 200;
  return c.outOfScope ?? 404;
}

describe('scope matrix', () => {
  it('covers every authenticated route of the app, with the roles the route declares', () => {
    const declared = listRoutes(f.app).filter((r) => !r.public && r.url.startsWith('/api/v1'));
    const covered = new Map(CASES.map((c) => [`${c.method} ${c.route}`, c.roles]));
    for (const r of declared) {
      const roles = covered.get(`${r.method} ${r.url}`);
      expect(roles, `${r.method} ${r.url} is not in the matrix`).toBeDefined();
      expect([...(roles ?? [])].sort(), `roles of ${r.method} ${r.url}`).toEqual([...r.roles].sort());
    }
    expect(new Set(declared.map((r) => `${r.method} ${r.url}`)).size).toBe(covered.size);
  });

  it('refuses every route without a key or with a wrong one (401)', async () => {
    for (const c of CASES) {
      const req = await c.build('zb');
      for (const headers of [{}, { authorization: 'Bearer hwk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, { 'x-api-key': 'nonsense' }]) {
        const res = await f.app.inject({ method: c.method, url: req.url, headers, ...(req.body === undefined ? {} : { payload: req.body as object }) });
        expect(res.statusCode, `${c.method} ${req.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json()).toMatchObject({ code: 'HW_API_UNAUTHENTICATED' });
        for (const mark of [...MARKS.zb, ...MARKS.zz]) expect(res.body).not.toContain(mark);
      }
    }
  });

  for (const key of Object.keys(KEY_GRANTS) as KeyName[]) {
    it(`${key}: 403 for roles not allowed, 404 out of scope, success in scope, never data out of scope`, async () => {
      const hidden = (['zb', 'zz'] as const).filter((t) => !SEES[key].includes(t)).flatMap((t) => MARKS[t]);
      const failures: string[] = [];
      for (const c of CASES) {
        for (const t of ['zb', 'zz'] as const) {
          const req = await c.build(t);
          const res = await f.app.inject({
            method: c.method,
            url: req.url,
            headers: f.auth(key),
            ...(req.body === undefined ? {} : { payload: req.body as object }),
          });
          const want = expected(c, key, t);
          if (res.statusCode !== want) failures.push(`${c.method} ${req.url} as ${key}: ${res.statusCode} (want ${want}) ${res.body.slice(0, 200)}`);
          for (const mark of hidden) if (res.body.includes(mark)) failures.push(`${c.method} ${req.url} as ${key} leaks "${mark}"`);
          if (want >= 400 && res.statusCode === want) {
            const body = res.json();
            expect(Object.keys(body).sort()).toEqual(['code', 'message']);
          }
          if (c.list && want === 200 && !SEES[key].includes(t)) expect(res.json().items).toEqual([]);
          if (c.list && want === 200 && SEES[key].includes(t)) expect(res.json().items.length).toBeGreaterThan(0);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
