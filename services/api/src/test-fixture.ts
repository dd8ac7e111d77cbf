import type { SiteFileSchema } from '@hazardwatch/contracts';
import { applySiteFile, commitIngestBatch, type SiteFileResult } from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from './app.js';
import { createApiKey } from './auth/keys.js';
import type { ApiConfigInput, ApiDeps, Clock } from './deps.js';
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

  const keys = {} as Record<KeyName, string>;
  for (const [name, grant] of Object.entries(KEY_GRANTS) as Array<[KeyName, NewApiKey]>)
    keys[name] = (await createApiKey(db.pool, grant, { createdBy: 'test', nowMs: Date.now() })).key;

  const app = await buildApp({
    pool: db.pool,
    log: createLogger({ level: 'silent' }),
    config: opts.config ?? {},
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
