import type { SiteFile } from '@hazardwatch/contracts';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { countDeadLettersByReason, listDeadLetters } from './repos/dead-letters.repo.js';
import { countReadings, latestReadings, readingSeries } from './repos/readings.repo.js';
import { findIngestDevices } from './repos/registry.repo.js';
import { commitIngestBatch } from './repos/timeseries.repo.js';
import { applySiteFile } from './site-file.js';

const site: SiteFile = {
  version: 1,
  enterprise: { id: 'ent-a', name: 'Plant A', regionCode: '370321' },
  hazardSources: [{ id: 'hs-tank', name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 10 }],
  devices: [
    {
      id: 'dev-1',
      hazardSourceId: 'hs-tank',
      points: [
        { channel: 'p1', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 2.5 },
        { channel: 'lel', kind: 'combustible_gas', unit: '%LEL', rangeMin: 0, rangeMax: 100 },
      ],
    },
  ],
  vehicles: [],
  geofences: [],
};

describe('db (plain PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates once; a second run applies nothing and changes no schema', async () => {
    expect(db.mode).toBe('plain');
    const schema = async () =>
      (await db.pool.query(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`)).rows;
    const before = await schema();
    const again = await migrate(db.pool, { timescale: 'off' });
    expect(again.applied).toEqual([]);
    expect(again.skipped).toContain('0001_registry');
    expect(await schema()).toEqual(before);
    const brin = await db.pool.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'readings_time_brin'`);
    expect(brin.rowCount).toBe(1);
  });

  it('auto-detection falls back to plain PostgreSQL when TimescaleDB cannot be loaded, without losing the connection', async () => {
    // On this server the extension is absent or installed but not preloaded; creating it then would end the session.
    const preload = await db.pool.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'`);
    const preloaded = /timescaledb/.test(preload.rows[0]?.setting ?? '');
    const auto = await createTestDatabase({ timescale: 'auto' });
    try {
      expect(auto.mode).toBe(preloaded ? 'timescale' : 'plain');
      expect((await auto.pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    } finally {
      await auto.drop();
    }
  });

  it('applies a site file idempotently and routes channels', async () => {
    const first = await applySiteFile(db.pool, site);
    const second = await applySiteFile(db.pool, site);
    expect(second.pointIds).toEqual(first.pointIds);
    expect(first.points).toBe(2);
    const found = await findIngestDevices(db.pool, ['dev-1', 'nope']);
    const dev = found.get('dev-1');
    expect(dev?.enterpriseId).toBe('ent-a');
    expect(dev?.points.get('p1')?.rangeMax).toBe(2.5);
    expect([...found.keys()]).toEqual(['dev-1']);
  });

  it('refuses an invalid site file and changes nothing', async () => {
    const bad = { ...site, enterprise: { ...site.enterprise, id: 'ent-b', regionCode: '37' } };
    await expect(applySiteFile(db.pool, bad)).rejects.toMatchObject({ code: 'HW_DB_SITE_FILE_INVALID' });
    const r = await db.pool.query(`SELECT 1 FROM enterprises WHERE id = 'ent-b'`);
    expect(r.rowCount).toBe(0);
  });

  it('commits a batch once even when it is committed twice (redelivery)', async () => {
    const ids = (await applySiteFile(db.pool, site)).pointIds;
    const p1 = ids['dev-1.p1'] ?? 0;
    const t0 = Date.UTC(2026, 10, 1, 0, 0, 0);
    const readings = Array.from({ length: 120 }, (_, i) => ({ pointId: p1, ts: t0 + i * 1000, value: 1 + i / 1000, quality: 'good' as const }));
    const rows = {
      readings,
      positions: [],
      statuses: [],
      deadLetters: [
        {
          topic: 'hw/v1/ent-a/dev-1/telemetry',
          enterpriseId: 'ent-a',
          deviceId: 'dev-1',
          reason: 'malformed_json',
          detail: 'Unexpected token',
          payload: Buffer.from('{oops'),
          payloadBytes: 5,
          truncated: false,
        },
      ],
    };
    const a = await commitIngestBatch(db.pool, rows);
    const b = await commitIngestBatch(db.pool, { ...rows, deadLetters: [] });
    expect(a.readingsInserted).toBe(120);
    expect(b.readingsInserted).toBe(0);
    expect(await countReadings(db.pool, { pointIds: [p1] })).toBe(120);
    expect(await countDeadLettersByReason(db.pool, 'ent-a')).toEqual({ malformed_json: 1 });
    const dl = await listDeadLetters(db.pool, { enterpriseId: 'ent-a' });
    expect(dl[0]?.payload).toBe('{oops');

    // Millisecond timestamps survive the round trip exactly.
    const latest = await latestReadings(db.pool, [p1]);
    expect(latest).toEqual([{ pointId: p1, ts: t0 + 119_000, value: 1.119, quality: 'good' }]);

    const perMinute = await readingSeries(db.pool, { pointIds: [p1], fromMs: t0, toMs: t0 + 120_000, bucket: '1m' });
    expect(perMinute.map((x) => [x.ts, x.samples, x.min, x.max])).toEqual([
      [t0, 60, 1, 1.059],
      [t0 + 60_000, 60, 1.06, 1.119],
    ]);
    expect(perMinute[1]?.last).toBe(1.119);
    const raw = await readingSeries(db.pool, { pointIds: [p1], fromMs: t0, toMs: t0 + 3000, bucket: 'raw' });
    expect(raw.map((x) => x.ts)).toEqual([t0, t0 + 1000, t0 + 2000]);
  });
});
