import { commitIngestBatch, insertPoint, latestOfPoints, updatePoint } from '@hazardwatch/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splice } from './latest-body.js';
import { LatestResponseSchema } from './schemas/telemetry.js';
import { type ApiFixture, createApiFixture, T0 } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

const get = (url: string, key: Parameters<ApiFixture['auth']>[0] = 'operatorZb') => f.app.inject({ url, headers: f.auth(key) });
const pid = (site: 'zb' | 'zz', channel: string) => {
  const id = f.sites[site].pointIds[`dev-${site}-1.${channel}`];
  if (id === undefined) throw new Error(`no point ${channel}`);
  return id;
};
const threeHours = `from=${T0}&to=${T0 + 3 * 3_600_000}`;

describe('latest values', () => {
  it('gives every point of an enterprise with its latest value and quality, in one answer', async () => {
    const silent = await insertPoint(
      f.db.pool,
      { kind: 'all' },
      {
        deviceId: 'dev-zb-1',
        channel: 'silent',
        hazardSourceId: 'hs-zb-tank',
        kind: 'level',
        unit: 'm',
        rangeMin: 0,
        rangeMax: 10,
      },
    );
    const r = await get('/api/v1/telemetry/latest?enterpriseId=ent-zb');
    expect(r.statusCode).toBe(200);
    const items = r.json().items as Array<{ pointId: number; ts: number | null; value: number | null; quality: string | null; channel: string }>;
    expect(items.map((i) => i.channel)).toEqual(['nh3', 'p1', 'silent']);
    expect(items[0]).toMatchObject({ pointId: pid('zb', 'nh3'), ts: T0 + 179 * 60_000, value: 29, quality: 'good', unit: 'ppm', hazardSourceId: 'hs-zb-tank' });
    expect(items[1]?.value).toBeCloseTo(0.679);
    expect(items[2]).toMatchObject({ pointId: silent, ts: null, value: null, quality: null });
  });

  it('sends a body that satisfies its response schema and equals the registry-and-readings answer', async () => {
    // The body is built by PostgreSQL and skips the response serializer, so check it here:
    // against the schema, and against latestOfPoints (probes into readings, objects in Node).
    for (const [url, of] of [
      ['/api/v1/telemetry/latest?enterpriseId=ent-zb', { enterpriseId: 'ent-zb' }],
      ['/api/v1/telemetry/latest?hazardSourceId=hs-zb-tank', { hazardSourceId: 'hs-zb-tank' }],
    ] as const) {
      const r = await get(url);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = LatestResponseSchema.parse(r.json());
      expect(body.items.length).toBeGreaterThan(0);
      expect(body.items).toEqual(await latestOfPoints(f.db.pool, { kind: 'all' }, of));
    }
  });

  it('gives the points of one hazard source, and needs exactly one of the two filters', async () => {
    const r = await get('/api/v1/telemetry/latest?hazardSourceId=hs-zb-tank');
    expect(r.json().items.length).toBe(3);
    const both = await get('/api/v1/telemetry/latest?hazardSourceId=hs-zb-tank&enterpriseId=ent-zb');
    expect(both.statusCode).toBe(400);
    expect(both.json().details).toEqual([{ path: 'query.enterpriseId', message: 'give exactly one of enterpriseId and hazardSourceId' }]);
    expect((await get('/api/v1/telemetry/latest')).statusCode).toBe(400);
  });
});

describe('series', () => {
  it('raw, 1 min and 1 h buckets, and auto', async () => {
    const id = pid('zb', 'nh3');
    const raw = (await get(`/api/v1/telemetry/series?points=${id}&${threeHours}&bucket=raw`)).json();
    expect(raw.bucket).toBe('raw');
    expect(raw.items).toHaveLength(180);
    expect(raw.items[5]).toEqual({ pointId: id, ts: T0 + 5 * 60_000, avg: 5, min: 5, max: 5, last: 5, samples: 1 });
    const hourly = (await get(`/api/v1/telemetry/series?points=${id}&${threeHours}&bucket=1h`)).json();
    expect(hourly.items.map((b: { ts: number; samples: number; min: number; max: number }) => [b.ts - T0, b.samples, b.min, b.max])).toEqual([
      [0, 60, 0, 29],
      [3_600_000, 60, 0, 29],
      [7_200_000, 60, 0, 29],
    ]);
    expect(hourly.items[0].avg).toBeCloseTo(14.5);
    const auto = (await get(`/api/v1/telemetry/series?points=${id}&${threeHours}`)).json();
    expect(auto.bucket).toBe('raw');
    const week = (await get(`/api/v1/telemetry/series?points=${id}&from=${T0}&to=${T0 + 3 * 86_400_000}`)).json();
    expect(week.bucket).toBe('1m');
    expect(week.items).toHaveLength(180);
    expect(week.truncated).toBe(false);
  });

  it('several points in one request; a point out of scope makes the whole request 404', async () => {
    const ids = `${pid('zb', 'nh3')},${pid('zb', 'p1')}`;
    const two = (await get(`/api/v1/telemetry/series?points=${ids}&${threeHours}&bucket=1h`)).json();
    expect(new Set(two.items.map((i: { pointId: number }) => i.pointId)).size).toBe(2);
    const mixed = await get(`/api/v1/telemetry/series?points=${ids},${pid('zz', 'nh3')}&${threeHours}`);
    expect(mixed.statusCode).toBe(404);
    expect(mixed.body).not.toContain('ent-zz');
    const many = Array.from({ length: 51 }, (_, i) => i + 1).join(',');
    expect((await get(`/api/v1/telemetry/series?points=${many}&${threeHours}`)).json().details[0]).toEqual({
      path: 'query.points',
      message: 'at most 50 points per request',
    });
  });
});

describe('CSV export', () => {
  it('streams every raw reading of a range, page after page', async () => {
    const id = await insertPoint(
      f.db.pool,
      { kind: 'all' },
      {
        deviceId: 'dev-zb-1',
        channel: 'dense',
        hazardSourceId: 'hs-zb-tank',
        kind: 'pressure',
        unit: 'MPa',
        rangeMin: 0,
        rangeMax: 100,
      },
    );
    if (id === null) throw new Error('point not created');
    const n = 25_000; // more than two pages of the export's keyset reads
    const readings = Array.from({ length: n }, (_, i) => ({ pointId: id, ts: T0 + i * 1000, value: i / 100, quality: 'good' as const }));
    await commitIngestBatch(f.db.pool, { readings, positions: [], statuses: [], deadLetters: [] });
    const r = await get(`/api/v1/telemetry/export.csv?points=${id},${pid('zb', 'nh3')}&from=${T0}&to=${T0 + n * 1000}`, 'regulator3703');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="readings-/);
    const lines = r.body.trimEnd().split('\n');
    expect(lines[0]).toBe('point_id,device_id,channel,unit,time,epoch_ms,value');
    const nh3 = lines.filter((l) => l.startsWith(`${pid('zb', 'nh3')},`));
    const dense = lines.filter((l) => l.startsWith(`${id},`));
    expect(nh3).toHaveLength(180);
    expect(dense).toHaveLength(n);
    expect(new Set(dense).size).toBe(n);
    expect(dense[12_345]).toBe(`${id},dev-zb-1,dense,MPa,${new Date(T0 + 12_345_000).toISOString()},${T0 + 12_345_000},123.45`);
  });
});

describe('vehicle track', () => {
  it('pages positions oldest first with an opaque cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/vehicles/veh-zb-1/track?from=${T0}&to=${T0 + 60_000}&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(url)).json();
      seen.push(...page.items.map((p: { ts: number }) => p.ts));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => T0 + i * 1000));
    const one = (await get(`/api/v1/vehicles/veh-zb-1/track?from=${T0}&to=${T0 + 1000}`)).json().items[0];
    expect(one).toEqual({ ts: T0, lat: 36, lon: 118, speedKmh: 50, heading: 90, altitudeM: null, accOn: true, alarmFlags: null });
    expect((await get(`/api/v1/vehicles/veh-zz-1/track?from=${T0}&to=${T0 + 60_000}`)).statusCode).toBe(404);
  });
});

describe('dead letters', () => {
  it('lists an enterprise’s refused messages with reasons; all of them only for an admin', async () => {
    const r = await get('/api/v1/enterprises/ent-zb/dead-letters', 'integratorZb');
    expect(r.statusCode).toBe(200);
    const items = r.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ enterpriseId: 'ent-zb', reason: 'unknown_device', payloadEncoding: 'utf8', payload: '{"secret-of":"ent-zb"}' });
    expect((await get('/api/v1/enterprises/ent-zb/dead-letters?reason=malformed_json', 'integratorZb')).json().items).toEqual([]);
    expect((await get('/api/v1/enterprises/ent-zb/dead-letters?reason=nonsense', 'integratorZb')).statusCode).toBe(400);
    const all = (await get('/api/v1/dead-letters', 'admin')).json().items;
    expect(all.map((d: { enterpriseId: string }) => d.enterpriseId).sort()).toEqual(['ent-zb', 'ent-zz']);
    expect((await get('/api/v1/enterprises/ent-zb/dead-letters', 'regulator3703')).statusCode).toBe(403);
  });
});

describe('latest values as ingest keeps them', () => {
  const newPoint = async (channel: string) => {
    const id = await insertPoint(
      f.db.pool,
      { kind: 'all' },
      { deviceId: 'dev-zb-1', channel, hazardSourceId: 'hs-zb-tank', kind: 'level', unit: 'm', rangeMin: 0, rangeMax: 1000 },
    );
    if (id === null) throw new Error(`point ${channel} not created`);
    return id;
  };

  it('moves a point forward only: a late or redelivered reading never replaces a newer one', async () => {
    const id = await newPoint('forward');
    await commitIngestBatch(f.db.pool, {
      readings: [{ pointId: id, ts: T0 + 120_000, value: 5, quality: 'good' }],
      positions: [],
      statuses: [],
      deadLetters: [],
    });
    const latest = async () =>
      (await get('/api/v1/telemetry/latest?hazardSourceId=hs-zb-tank')).json().items.find((i: { pointId: number }) => i.pointId === id);
    const before = await latest();
    await commitIngestBatch(f.db.pool, {
      readings: [{ pointId: id, ts: T0 + 60_000, value: 999, quality: 'fault' }],
      positions: [],
      statuses: [],
      deadLetters: [],
    });
    expect(await latest()).toEqual(before);
    const ts = T0 + 200 * 60_000;
    // Two readings of the point in one batch: the newer one wins whatever the order.
    await commitIngestBatch(f.db.pool, {
      readings: [
        { pointId: id, ts, value: 31, quality: 'maintenance' },
        { pointId: id, ts: ts - 1000, value: 30, quality: 'good' },
      ],
      positions: [],
      statuses: [],
      deadLetters: [],
    });
    expect(await latest()).toMatchObject({ ts, value: 31, quality: 'maintenance' });
    expect(await latestOfPoints(f.db.pool, { kind: 'all' }, { hazardSourceId: 'hs-zb-tank' })).toContainEqual(await latest());
  });

  it('answers a registry edit at once: the kept registry part is rebuilt when the points change', async () => {
    const url = '/api/v1/telemetry/latest?enterpriseId=ent-zb';
    const of = { enterpriseId: 'ent-zb' };
    expect((await get(url)).json().items).toEqual(await latestOfPoints(f.db.pool, { kind: 'all' }, of));
    const id = await newPoint('renamed');
    expect((await get(url)).json().items.map((i: { pointId: number }) => i.pointId)).toContain(id);
    const edited = await updatePoint(f.db.pool, { kind: 'all' }, id, {
      deviceId: 'dev-zb-1',
      channel: 'renamed',
      hazardSourceId: 'hs-zb-tank',
      name: 'tank level "east"',
      kind: 'level',
      unit: 'cm',
      rangeMin: 0,
      rangeMax: 1000,
    });
    expect(edited).toBe(true);
    const after = (await get(url)).json().items;
    expect(after.find((i: { pointId: number }) => i.pointId === id)).toMatchObject({ name: 'tank level "east"', unit: 'cm' });
    expect(after).toEqual(await latestOfPoints(f.db.pool, { kind: 'all' }, of));
  });
});

describe('splice', () => {
  const prefixes = new Map([
    [7, '{"pointId":7'],
    [9, '{"pointId":9'],
  ]);
  it('joins values to registry parts; a point that never reported or a non-finite value gives nulls', () => {
    expect(JSON.parse(splice('7,1000,2.5,0;9,,,', prefixes) ?? '')).toEqual({
      items: [
        { pointId: 7, ts: 1000, value: 2.5, quality: 'good' },
        { pointId: 9, ts: null, value: null, quality: null },
      ],
    });
    expect(JSON.parse(splice('7,1000,NaN,2', prefixes) ?? '').items[0]).toEqual({ pointId: 7, ts: 1000, value: null, quality: 'maintenance' });
    expect(JSON.parse(splice('7,1000,1e+20,1', prefixes) ?? '').items[0]).toEqual({ pointId: 7, ts: 1000, value: 1e20, quality: 'fault' });
    expect(splice('', prefixes)).toBe('{"items":[]}');
  });
  it('refuses a point it has no registry part for (the caller then rebuilds)', () => {
    expect(splice('7,1,1,0;8,1,1,0', prefixes)).toBeNull();
  });
});
