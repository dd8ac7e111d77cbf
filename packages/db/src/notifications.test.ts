import type { SiteFile } from '@hazardwatch/contracts';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelSubscription, REGISTRY_CHANGED_CHANNEL, subscribeChannel } from './notifications.js';
import { applySiteFile } from './site-file.js';

const site: SiteFile = {
  version: 1,
  enterprise: { id: 'ent-n', name: 'Notify plant', regionCode: '370321' },
  hazardSources: [{ id: 'hs-n', name: 'Tank farm', kind: 'tank_farm', chemicals: [], peopleWithin500m: 0 }],
  devices: [{ id: 'dev-n', hazardSourceId: 'hs-n', points: [{ channel: 'a', kind: 'pressure', unit: 'MPa', rangeMin: 0, rangeMax: 10 }] }],
  vehicles: [],
  geofences: [],
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
});
afterAll(async () => {
  await db?.drop();
});

/** A subscription recording what it saw, with a wait for the next LISTEN in place. */
function record(opts: { minRetryMs?: number } = {}) {
  const seen: string[] = [];
  let listens = 0;
  const errors: unknown[] = [];
  const sub: ChannelSubscription = subscribeChannel(
    db.pool,
    REGISTRY_CHANGED_CHANNEL,
    { onNotification: (p) => seen.push(p), onListening: () => listens++, onError: (e) => errors.push(e) },
    opts,
  );
  return { seen, errors, sub, listens: () => listens };
}

describe('registry change notifications (migration 0010) through subscribeChannel', () => {
  it('delivers one notification per changed table at commit, none for a rolled-back change', async () => {
    const r = record();
    try {
      await expect.poll(r.listens).toBe(1);
      await applySiteFile(db.pool, site);
      await expect.poll(() => new Set(r.seen)).toEqual(new Set(['enterprises', 'hazard_sources', 'devices', 'measuring_points']));
      r.seen.length = 0;
      const c = await db.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(`UPDATE measuring_points SET name = 'in a transaction', updated_at = now()`);
        // Not delivered before commit.
        await new Promise((res) => setTimeout(res, 100));
        expect(r.seen).toEqual([]);
        await c.query('ROLLBACK');
        await c.query(`UPDATE devices SET name = 'renamed', updated_at = now()`);
      } finally {
        c.release();
      }
      await expect.poll(() => r.seen).toEqual(['devices']);
      // Tables outside the registry say nothing.
      await db.pool.query(`INSERT INTO dead_letters (topic, reason, detail, payload, payload_bytes, truncated) VALUES ('t', 'r', 'd', '\\x00', 1, false)`);
      // A statement-level trigger: even a statement that changes no row notifies.
      await db.pool.query(`DELETE FROM measuring_points WHERE false`);
      await expect.poll(() => r.seen).toEqual(['devices', 'measuring_points']);
    } finally {
      await r.sub.close();
    }
  });

  it('reconnects after its connection is killed, and says so with onListening again', async () => {
    const r = record({ minRetryMs: 20 });
    try {
      await expect.poll(r.listens).toBe(1);
      const killed = await db.pool.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
      );
      expect(killed.rows[0]?.n).toBe(1);
      await expect.poll(r.listens, { timeout: 5_000 }).toBe(2);
      expect(r.errors.length).toBeGreaterThanOrEqual(1);
      await db.pool.query(`UPDATE enterprises SET park = 'after the reconnect'`);
      await expect.poll(() => r.seen).toContain('enterprises');
    } finally {
      await r.sub.close();
    }
  });

  it('close() stops listening and gives the connection back', async () => {
    const r = record();
    await expect.poll(r.listens).toBe(1);
    expect(db.pool.idleCount).toBeLessThan(db.pool.totalCount);
    await r.sub.close();
    // Back in the pool (nothing checked out), and no session's last statement is a LISTEN.
    expect(db.pool.idleCount).toBe(db.pool.totalCount);
    const listening = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
    );
    expect(listening.rows[0]?.n).toBe(0);
    await db.pool.query(`UPDATE enterprises SET park = 'after close'`);
    await new Promise((res) => setTimeout(res, 100));
    expect(r.seen).toEqual([]);
  });

  it('refuses a channel name that is not a plain identifier', () => {
    expect(() => subscribeChannel(db.pool, 'x; DROP TABLE readings', { onNotification() {}, onListening() {}, onError() {} })).toThrow(
      /bad notification channel/,
    );
  });
});
