import { randomBytes } from 'node:crypto';
import { insertHazardSource, insertPoint } from '@hazardwatch/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, createApiFixture } from './test-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(async () => {
  await f?.close();
});

const all = { kind: 'all' } as const;

/** Read a list to its end, page by page, while `during` runs. */
async function readAll(url: string, during: () => Promise<void>): Promise<Array<{ id: string | number }>> {
  const seen: Array<{ id: string | number }> = [];
  let cursor: string | null = null;
  const reading = (async () => {
    do {
      const sep = url.includes('?') ? '&' : '?';
      const page: { items: Array<{ id: string | number }>; nextCursor: string | null } = (
        await f.app.inject({ url: `${url}${sep}limit=7${cursor ? `&cursor=${cursor}` : ''}`, headers: f.auth('managerZb') })
      ).json();
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
  })();
  await Promise.all([reading, during()]);
  return seen;
}

describe('cursor pagination under concurrent inserts', () => {
  it('text keys: every row present at the start appears exactly once, in order', async () => {
    for (let i = 0; i < 60; i++)
      await insertHazardSource(f.db.pool, all, {
        id: `hs-zb-${String(i).padStart(3, '0')}`,
        enterpriseId: 'ent-zb',
        name: 'x',
        kind: 'warehouse',
        chemicals: [],
        peopleWithin500m: 0,
      });
    const before = (await f.db.pool.query(`SELECT id FROM hazard_sources WHERE enterprise_id = 'ent-zb'`)).rows.map((r) => r.id as string);
    // New rows land before, between and after the pages being read.
    const inserts = async () => {
      for (let i = 0; i < 80; i++) {
        const id = `hs-zb-${randomBytes(3).toString('hex')}`;
        await insertHazardSource(f.db.pool, all, { id, enterpriseId: 'ent-zb', name: 'new', kind: 'warehouse', chemicals: [], peopleWithin500m: 0 });
        await insertHazardSource(f.db.pool, all, {
          id: id.replace('zb', 'zz'),
          enterpriseId: 'ent-zz',
          name: 'new',
          kind: 'warehouse',
          chemicals: [],
          peopleWithin500m: 0,
        });
      }
    };
    const seen = (await readAll('/api/v1/hazard-sources', inserts)).map((h) => String(h.id));
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect([...seen].sort()).toEqual(seen);
    expect(seen.every((id) => id.startsWith('hs-zb-'))).toBe(true);
  });

  it('numeric keys (measuring points) likewise', async () => {
    const before = (
      await f.db.pool.query(`SELECT p.id FROM measuring_points p JOIN devices d ON d.id = p.device_id WHERE d.enterprise_id = 'ent-zb'`)
    ).rows.map((r) => r.id as number);
    let n = 0;
    const inserts = async () => {
      for (let i = 0; i < 50; i++)
        await insertPoint(f.db.pool, all, {
          deviceId: 'dev-zb-1',
          channel: `c${n++}`,
          hazardSourceId: 'hs-zb-tank',
          kind: 'flow',
          unit: 'm3/h',
          rangeMin: 0,
          rangeMax: 1,
        });
    };
    const seen = (await readAll('/api/v1/points', inserts)).map((p) => Number(p.id));
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
