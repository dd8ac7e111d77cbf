import type { NewDispatchTarget } from '@hazardwatch/contracts';
import {
  createDispatchTarget,
  createSecretBox,
  DbError,
  deleteDispatchTarget,
  getDispatchTarget,
  listDispatchTargets,
  listEnabledDispatchTargets,
  rotateDispatchTargetSecret,
  updateDispatchTarget,
} from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEnterprise } from './support.js';

const SECRET = 'a-very-secret-signing-key-of-40-chars-xx';
const KEY = Buffer.alloc(32, 9).toString('base64');
const base: NewDispatchTarget = {
  name: 'room',
  url: 'https://room.example.test/hook',
  allowInsecureHttp: false,
  scope: { enterpriseId: 'ent-huantai' },
  minColour: 'blue',
  eventTypes: ['raised'],
  enabled: true,
  secret: SECRET,
};

describe('dispatch.repo: targets (secret write-only, sealed at rest)', () => {
  let db: TestDatabase;
  const box = createSecretBox({ key: KEY });
  beforeAll(async () => {
    db = await createTestDatabase({ timescale: 'off' });
    await addEnterprise(db.pool, 'ent-huantai', '370321');
    await addEnterprise(db.pool, 'ent-tengzhou', '370481');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('create, get, list, update, rotate, delete; the secret never comes back and is not stored in clear', async () => {
    const room = await createDispatchTarget(db.pool, box, base);
    expect(room.id).toMatch(/^tgt_/);
    expect(JSON.stringify(room)).not.toContain(SECRET);
    expect(room).not.toHaveProperty('secret');
    const county = await createDispatchTarget(db.pool, box, { ...base, name: 'county', scope: { regionPrefix: '370321' } }, { id: 'county' });
    await createDispatchTarget(db.pool, box, { ...base, name: 'city', scope: { regionPrefix: '3703' } }, { id: 'city' });
    await createDispatchTarget(db.pool, box, { ...base, name: 'tz', scope: { enterpriseId: 'ent-tengzhou' } }, { id: 'tz' });
    await createDispatchTarget(db.pool, box, { ...base, name: 'zz', scope: { regionPrefix: '3704' } }, { id: 'zz' });

    expect(await getDispatchTarget(db.pool, 'county')).toEqual(county);
    // A city's jurisdiction: its own targets and those of its counties and enterprises, never another city's.
    expect((await listDispatchTargets(db.pool, { regionPrefix: '3703' })).map((t) => t.name).sort()).toEqual(['city', 'county', 'room']);
    expect((await listDispatchTargets(db.pool, { enterpriseId: 'ent-tengzhou' })).map((t) => t.id)).toEqual(['tz']);
    const all = await listDispatchTargets(db.pool);
    expect(JSON.stringify(all)).not.toContain(SECRET);

    const raw = await db.pool.query<{ secret_key_id: string; secret_sealed: Buffer }>('SELECT secret_key_id, secret_sealed FROM dispatch_targets');
    for (const r of raw.rows) {
      expect(r.secret_key_id).toBe(box.keyId);
      expect(r.secret_sealed.toString('utf8')).not.toContain(SECRET);
      expect(box.open(r.secret_key_id, r.secret_sealed)).toBe(SECRET);
    }

    const updated = await updateDispatchTarget(db.pool, 'county', { minColour: 'orange', eventTypes: ['raised', 'escalated'] });
    expect(updated).toMatchObject({ minColour: 'orange', eventTypes: ['raised', 'escalated'], scope: { regionPrefix: '370321' } });
    await expect(updateDispatchTarget(db.pool, 'county', { url: 'http://plain.example.test/' })).rejects.toBeInstanceOf(DbError);
    expect(await updateDispatchTarget(db.pool, 'nope', { name: 'x' })).toBeNull();

    // Rotation under a new key: the old key still opens older secrets.
    const newBox = createSecretBox({ key: Buffer.alloc(32, 10).toString('base64'), previousKeys: [KEY] });
    expect(await rotateDispatchTargetSecret(db.pool, newBox, 'county', `${SECRET}-2`)).toBe(true);
    const after = await db.pool.query<{ id: string; secret_key_id: string; secret_sealed: Buffer }>(
      'SELECT id, secret_key_id, secret_sealed FROM dispatch_targets',
    );
    for (const r of after.rows) expect(newBox.open(r.secret_key_id, r.secret_sealed)).toBe(r.id === 'county' ? `${SECRET}-2` : SECRET);

    expect(await deleteDispatchTarget(db.pool, 'zz')).toBe(true);
    expect(await deleteDispatchTarget(db.pool, 'zz')).toBe(false);
    expect(await getDispatchTarget(db.pool, 'zz')).toBeNull();
    expect((await listEnabledDispatchTargets(db.pool)).map((t) => t.id)).not.toContain('zz');
  });

  it('refuses a scope naming an unknown enterprise as a conflict', async () => {
    await expect(createDispatchTarget(db.pool, box, { ...base, scope: { enterpriseId: 'ent-unknown' } })).rejects.toMatchObject({ code: 'HW_DB_CONFLICT' });
  });
});
