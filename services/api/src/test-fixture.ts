import type { AlarmInput } from '@hazardwatch/alarms';
import type { AlarmEvent, AlarmTransition, DispatchScope, SiteFileSchema } from '@hazardwatch/contracts';
import {
  applyAlarmInputs,
  applySiteFile,
  commitIngestBatch,
  createDispatchTarget,
  createRule,
  createSecretBox,
  listEventsAfter,
  type Pool,
  type SecretBox,
  type SiteFileResult,
} from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from './app.js';
import { createApiKey } from './auth/keys.js';
import type { ApiConfigInput, ApiDeps, Clock, LiveEventSource } from './deps.js';
import type { NewApiKey } from './schemas/api-key.js';

/** Two enterprises in two cities of Shandong: Huantai county (Zibo, 370321) and Tengzhou (Zaozhuang, 370481). */
export const T0 = Date.UTC(2025, 0, 1);

export type SiteFileInput = z.input<typeof SiteFileSchema>;

export function siteOf(n: 'zb' | 'zz'): SiteFileInput {
  const region = n === 'zb' ? '370321' : '370481';
  const name = n === 'zb' ? 'Huantai Ammonia Works' : 'Tengzhou Coking Plant';
  return {
    version: 1,
    enterprise: { id: `ent-${n}`, name, regionCode: region, park: `${n}-park`, contact: { name: `safety-${n}`, phone: '0533-0000000' } },
    hazardSources: [
      {
        id: `hs-${n}-tank`,
        name: `${name} ammonia tank farm`,
        kind: 'tank_farm',
        chemicals: [{ name: 'ammonia', cas: '7664-41-7', quantityT: 120, criticalQuantityT: 10, beta: 2 }],
        peopleWithin500m: 60,
      },
    ],
    devices: [
      {
        id: `dev-${n}-1`,
        name: `gateway ${n}`,
        hazardSourceId: `hs-${n}-tank`,
        points: [
          { channel: 'nh3', kind: 'toxic_gas', unit: 'ppm', rangeMin: 0, rangeMax: 100, name: `${n} NH3 detector` },
          { channel: 'p1', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 2.5 },
        ],
      },
    ],
    vehicles: [{ id: `veh-${n}-1`, plate: n === 'zb' ? '鲁C12345' : '鲁D54321', cargo: 'liquid ammonia' }],
    geofences: [
      {
        id: `gf-${n}-1`,
        name: `${n} school zone`,
        kind: 'no_entry',
        polygon: [
          [118, 36],
          [118.1, 36],
          [118.1, 36.1],
          [118, 36],
        ],
      },
    ],
  };
}

export const KEY_GRANTS = {
  admin: { role: 'admin', name: 'test admin' },
  managerZb: { role: 'enterprise_manager', enterpriseId: 'ent-zb', name: 'manager zb' },
  operatorZb: { role: 'operator', enterpriseId: 'ent-zb', name: 'operator zb' },
  integratorZb: { role: 'integrator', enterpriseId: 'ent-zb', name: 'integrator zb' },
  regulator3703: { role: 'regulator', regionPrefix: '3703', name: 'Zibo bureau' },
  regulator37: { role: 'regulator', regionPrefix: '37', name: 'Shandong bureau' },
  regulator3704: { role: 'regulator', regionPrefix: '3704', name: 'Zaozhuang bureau' },
  managerZz: { role: 'enterprise_manager', enterpriseId: 'ent-zz', name: 'manager zz' },
} as const satisfies Record<string, NewApiKey>;
export type KeyName = keyof typeof KEY_GRANTS;

/** A threshold rule on the NH3 point of a site. */
export function ruleOf(n: 'zb' | 'zz', pointId: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `rule-${n}-nh3`,
    version: 1,
    enterpriseId: `ent-${n}`,
    hazardSourceId: `hs-${n}-tank`,
    name: `${n} NH3 high`,
    kind: 'threshold',
    pointId,
    levels: [
      { name: 'H', colour: 'orange', side: 'high', setpoint: 25 },
      { name: 'HH', colour: 'red', side: 'high', setpoint: 50 },
    ],
    ...over,
  };
}

let alarmSerial = 0;

/** Seals target secrets in tests (a fixed test key). */
export const TEST_SECRET_BOX: SecretBox = createSecretBox({ key: Buffer.alloc(32, 7).toString('base64') });

/** A control-room webhook target of a site; returns its id. */
export async function seedTarget(pool: Pool, n: 'zb' | 'zz', id = `tgt-${n}-${++alarmSerial}`): Promise<string> {
  await createDispatchTarget(
    pool,
    TEST_SECRET_BOX,
    {
      name: `control room ent-${n}`,
      url: `https://${n}.example.cn/hook`,
      allowInsecureHttp: false,
      scope: { enterpriseId: `ent-${n}` },
      minColour: 'blue',
      eventTypes: ['raised'],
      enabled: true,
      secret: 's'.repeat(32),
    },
    { id },
  );
  return id;
}

/**
 * Raise an alarm of a site's NH3 rule on a subject of its own (optionally latching, then
 * cleared, then through further inputs); returns its id.
 */
export async function seedAlarm(
  pool: Pool,
  n: 'zb' | 'zz',
  pointId: number,
  opts: { latching?: boolean; clear?: boolean; colour?: 'red' | 'orange' | 'yellow' | 'blue'; followUp?: AlarmInput[]; at?: number } = {},
): Promise<string> {
  const k = ++alarmSerial;
  const at = opts.at ?? T0 + k * 1000;
  const base: AlarmTransition = {
    id: `tr-${n}-${k}-raise`,
    ruleId: `rule-${n}-nh3`,
    ruleVersion: 1,
    subject: `point:${pointId}:${k}`,
    enterpriseId: `ent-${n}`,
    hazardSourceId: `hs-${n}-tank`,
    vehicleId: null,
    pointIds: [pointId],
    kind: 'raise',
    category: 'process',
    level: 'H',
    colour: opts.colour ?? 'orange',
    latching: opts.latching ?? false,
    value: 30,
    at,
    message: `NH3 high at hs-${n}-tank`,
  };
  const raised = await applyAlarmInputs(pool, [{ key: { ruleId: base.ruleId, subject: base.subject }, input: { type: 'transition', transition: base } }], at);
  const alarmId = raised.events[0]?.alarmId;
  if (!alarmId) throw new Error(`alarm not raised: ${JSON.stringify(raised.refusals)}`);
  const more: AlarmInput[] = [];
  if (opts.clear) more.push({ type: 'transition', transition: { ...base, id: `tr-${n}-${k}-clear`, kind: 'clear', level: null, colour: null, at: at + 1 } });
  more.push(...(opts.followUp ?? []));
  if (more.length > 0) {
    const out = await applyAlarmInputs(
      pool,
      more.map((input) => ({ key: { alarmId }, input })),
      at + 2,
    );
    if (out.refusals.length > 0) throw new Error(`seed refused: ${JSON.stringify(out.refusals)}`);
  }
  return alarmId;
}

/** A live source for tests: replays the stored events of the scope after Last-Event-ID, then ends. */
export function replayOnlyLiveSource(pool: Pool, calls: Array<{ scope: DispatchScope; lastEventId: number | string | null }> = []): LiveEventSource {
  return {
    subscribe(scope, lastEventId) {
      calls.push({ scope, lastEventId: lastEventId ?? null });
      let closed = false;
      const events = listEventsAfter(pool, {
        afterSeq: lastEventId === null || lastEventId === undefined ? 0 : Number(lastEventId),
        ...('enterpriseId' in scope ? { enterpriseIds: [scope.enterpriseId] } : { regionPrefix: scope.regionPrefix }),
      });
      let queue: AlarmEvent[] | undefined;
      const it: AsyncIterableIterator<AlarmEvent> & { close(): void } = {
        async next() {
          const pending = queue ?? (await events);
          queue = pending;
          const e = closed ? undefined : pending.shift();
          return e ? { value: e, done: false } : { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return it;
        },
        close() {
          closed = true;
        },
      };
      return it;
    },
  };
}

export interface ApiFixture {
  db: TestDatabase;
  app: FastifyInstance;
  keys: Record<KeyName, string>;
  sites: { zb: SiteFileResult; zz: SiteFileResult };
  /** Authorization header of a key. */
  auth(k: KeyName): { authorization: string };
  close(): Promise<void>;
}

/**
 * A database of its own with both sites, readings, positions and dead letters, keys of
 * every role, and the app built on it (not listening).
 */
export async function createApiFixture(opts: { config?: ApiConfigInput; clock?: Clock; deps?: Partial<ApiDeps> } = {}): Promise<ApiFixture> {
  const db = await createTestDatabase({ timescale: 'off' });
  const zb = await applySiteFile(db.pool, siteOf('zb'));
  const zz = await applySiteFile(db.pool, siteOf('zz'));
  const readings = [];
  for (const [site, scale] of [
    [zb, 1],
    [zz, 10],
  ] as const) {
    for (const [key, pointId] of Object.entries(site.pointIds))
      for (let i = 0; i < 180; i++)
        readings.push({ pointId, ts: T0 + i * 60_000, value: scale * (key.endsWith('nh3') ? i % 30 : 0.5 + i / 1000), quality: 'good' as const });
  }
  const positions = ['veh-zb-1', 'veh-zz-1'].flatMap((vehicleId) =>
    Array.from({ length: 20 }, (_, i) => ({
      vehicleId,
      ts: T0 + i * 1000,
      lat: 36 + i / 1000,
      lon: 118 + i / 1000,
      speedKmh: 50 + i,
      heading: 90,
      altitudeM: null,
      accOn: true,
      alarmFlags: null,
    })),
  );
  const deadLetter = (enterpriseId: string) => ({
    topic: `hw/v1/${enterpriseId}/dev-x/telemetry`,
    enterpriseId,
    deviceId: 'dev-x',
    reason: 'unknown_device',
    detail: `device dev-x of ${enterpriseId} is not registered`,
    payload: Buffer.from(`{"secret-of":"${enterpriseId}"}`),
    payloadBytes: 20,
    truncated: false,
  });
  await commitIngestBatch(db.pool, { readings, positions, statuses: [], deadLetters: [deadLetter('ent-zb'), deadLetter('ent-zz')] });

  for (const [n, site] of [
    ['zb', zb],
    ['zz', zz],
  ] as const) {
    const pointId = site.pointIds[`dev-${n}-1.nh3`];
    if (pointId === undefined) throw new Error('seed point missing');
    await createRule(db.pool, ruleOf(n, pointId), { by: 'seed' });
    await seedAlarm(db.pool, n, pointId, { colour: 'red' });
    await seedTarget(db.pool, n, `tgt-${n}`);
  }

  const keys = {} as Record<KeyName, string>;
  for (const [name, grant] of Object.entries(KEY_GRANTS) as Array<[KeyName, NewApiKey]>)
    keys[name] = (await createApiKey(db.pool, grant, { createdBy: 'test', nowMs: Date.now() })).key;

  const app = await buildApp({
    pool: db.pool,
    log: createLogger({ level: 'silent' }),
    config: opts.config ?? {},
    liveStream: replayOnlyLiveSource(db.pool),
    dispatchSecrets: TEST_SECRET_BOX,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...opts.deps,
  });
  await app.ready();
  return {
    db,
    app,
    keys,
    sites: { zb, zz },
    auth: (k) => ({ authorization: `Bearer ${keys[k]}` }),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
