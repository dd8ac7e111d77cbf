import type { JobReading } from '@hazardwatch/contracts';
import { applySiteFile, commitIngestBatch } from '@hazardwatch/db';
import { backtestRule, RulesWorkerError } from '@hazardwatch/rules-worker';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';
import { gasRule } from './support.js';

const T0 = 1_790_000_000_000;
let db: TestDatabase;
let lel: number;

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  const site = await applySiteFile(db.pool, smallPlant('ent-bt'));
  lel = site.pointIds['ent-bt-gas1.lel'] ?? -1;
  // A leak: 0 → 60 %LEL over 60 s, back to 0 over the next 60 s, one reading a second.
  const readings: JobReading[] = Array.from({ length: 121 }, (_, s) => ({ pointId: lel, ts: T0 + s * 1000, value: s <= 60 ? s : 120 - s, quality: 'good' }));
  await commitIngestBatch(db.pool, { readings, positions: [], statuses: [], deadLetters: [] });
});
afterAll(async () => {
  await db?.drop();
});

describe('backtestRule', () => {
  it('replays a draft rule over stored readings and counts per level', async () => {
    const draft = gasRule('draft-gas', 'ent-bt', 'ent-bt-unit', lel);
    const r = await backtestRule(db.pool, draft, { from: T0, to: T0 + 120_000, tickMs: 5_000 });
    expect(r.readings).toBe(121);
    expect(r.transitions.map((t) => [t.kind, t.level, t.at])).toEqual([
      ['raise', 'FIRST', T0 + 25_000],
      ['level', 'SECOND', T0 + 50_000],
      // Latching: held at SECOND on the way down; below the first level (with the deadband) the
      // condition is gone and announced, the alarm stays latched until a person resets it.
      ['clear', null, T0 + 98_000],
    ]);
    expect(r.transitions.at(-1)?.latching).toBe(true);
    expect(r.countsByLevel).toEqual({ FIRST: 1, SECOND: 1 });
    expect(r.countsByColour).toEqual({ red: 1, orange: 1, yellow: 0, blue: 0 });

    // Not latching, with a deadband: it clears on the way down.
    const plain = { ...draft, latching: false, deadband: 2 };
    const r2 = await backtestRule(db.pool, plain, { from: T0, to: T0 + 120_000 });
    expect(r2.transitions.map((t) => [t.kind, t.level, t.at])).toEqual([
      ['raise', 'FIRST', T0 + 25_000],
      ['level', 'SECOND', T0 + 50_000],
      ['level', 'FIRST', T0 + 73_000],
      ['clear', null, T0 + 98_000],
    ]);
  });

  it('refuses an invalid draft with reasons', async () => {
    const err = await backtestRule(db.pool, { kind: 'threshold' }, { from: T0, to: T0 + 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RulesWorkerError);
    expect((err as RulesWorkerError).code).toBe('HW_RULES_WORKER_BACKTEST_INVALID');
    expect((err as RulesWorkerError).reasons.length).toBeGreaterThan(0);
  });
});
