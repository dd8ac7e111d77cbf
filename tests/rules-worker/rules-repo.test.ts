import {
  applySiteFile,
  createRule,
  createRuleVersion,
  diffRuleVersions,
  findPointId,
  getCurrentRule,
  listCurrentRules,
  listRuleHeads,
  listRules,
  listRuleVersions,
  RULES_CHANGED_CHANNEL,
  RuleStoreError,
  setRuleEnabled,
} from '@hazardwatch/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@hazardwatch/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';

let db: TestDatabase;
let lel: number;
let pressure: number;

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  await applySiteFile(db.pool, smallPlant('ent-r', '370321'));
  lel = (await findPointId(db.pool, 'ent-r-gas1', 'lel')) ?? -1;
  pressure = (await findPointId(db.pool, 'ent-r-rtu1', 'c0')) ?? -1;
});
afterAll(async () => {
  await db?.drop();
});

const gasRule = (over: Record<string, unknown> = {}) => ({
  id: 'gas-1',
  version: 7,
  enterpriseId: 'ent-r',
  hazardSourceId: 'ent-r-unit',
  name: 'LEL',
  kind: 'threshold',
  pointId: lel,
  latching: true,
  levels: [
    { name: 'FIRST', colour: 'orange', side: 'high', setpoint: 25 },
    { name: 'SECOND', colour: 'red', side: 'high', setpoint: 50 },
  ],
  ...over,
});

async function refusalOf(p: Promise<unknown>): Promise<RuleStoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof RuleStoreError)) throw new Error(`expected a RuleStoreError, got ${String(err)}`);
  return err;
}

describe('rules.repo', () => {
  it('creates, versions, disables and diffs a rule, notifying each change', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${RULES_CHANGED_CHANNEL}`);
    try {
      const created = await createRule(db.pool, gasRule(), { by: 'alice', note: 'GB/T 50493' });
      expect(created).toMatchObject({ version: 1, partitionKey: 'source:ent-r-unit', changedBy: 'alice', changeNote: 'GB/T 50493' });
      expect(created.rule.version).toBe(1);
      expect((await refusalOf(createRule(db.pool, gasRule(), { by: 'alice' }))).code).toBe('HW_DB_RULE_EXISTS');

      const v2 = await createRuleVersion(db.pool, 'gas-1', gasRule({ levels: [{ name: 'FIRST', colour: 'orange', side: 'high', setpoint: 20 }] }), {
        by: 'bob',
        expectedVersion: 1,
      });
      expect(v2.version).toBe(2);
      const stale = await refusalOf(createRuleVersion(db.pool, 'gas-1', gasRule(), { by: 'carol', expectedVersion: 1 }));
      expect(stale.code).toBe('HW_DB_RULE_VERSION_CONFLICT');
      const moved = await refusalOf(createRuleVersion(db.pool, 'gas-1', gasRule({ hazardSourceId: 'ent-r-tanks', pointId: pressure }), { by: 'bob' }));
      expect(moved.code).toBe('HW_DB_RULE_PARTITION_CHANGED');

      const off = await setRuleEnabled(db.pool, 'gas-1', false, { by: 'dave', note: 'detector replaced' });
      expect(off).toMatchObject({ version: 3, changedBy: 'dave' });
      expect(off.rule.enabled).toBe(false);
      expect((await setRuleEnabled(db.pool, 'gas-1', false, { by: 'dave' })).version).toBe(3);

      expect((await listRuleVersions(db.pool, 'gas-1')).map((v) => [v.version, v.changedBy])).toEqual([
        [3, 'dave'],
        [2, 'bob'],
        [1, 'alice'],
      ]);
      const diff = await diffRuleVersions(db.pool, 'gas-1', 1, 2);
      expect(diff?.changes).toEqual([
        { path: 'levels.0.setpoint', op: 'changed', before: 25, after: 20 },
        { path: 'levels.1', op: 'removed', before: { name: 'SECOND', colour: 'red', side: 'high', setpoint: 50 } },
        { path: 'version', op: 'changed', before: 1, after: 2 },
      ]);
      expect((await getCurrentRule(db.pool, 'gas-1'))?.version).toBe(3);
      expect(await listRuleHeads(db.pool)).toEqual([{ id: 'gas-1', version: 3, partitionKey: 'source:ent-r-unit' }]);
      expect((await listCurrentRules(db.pool, { partitionKeys: ['source:ent-r-unit'] })).rules.map((r) => r.rule.id)).toEqual(['gas-1']);
      expect((await listRules(db.pool, { regionPrefix: '3704' })).items).toEqual([]);
      await waitFor(() => heard.length >= 3, { what: 'three notifications' });
      expect(heard).toEqual(['gas-1', 'gas-1', 'gas-1']);
    } finally {
      await listener.end();
    }
  });

  it('refuses rules that do not fit the registry or the partitioning', async () => {
    const otherSource = await refusalOf(createRule(db.pool, gasRule({ id: 'gas-2', pointId: pressure }), { by: 'x' }));
    expect(otherSource.code).toBe('HW_DB_RULE_INVALID');
    expect(otherSource.reasons.join('\n')).toContain('belongs to hazard source ent-r-tanks');
    const noSource = await refusalOf(createRule(db.pool, gasRule({ id: 'gas-3', hazardSourceId: null }), { by: 'x' }));
    expect(noSource.reasons.join('\n')).toContain('must name its hazard source');
    const bad = await refusalOf(createRule(db.pool, gasRule({ id: 'gas-4', levels: [] }), { by: 'x' }));
    expect(bad.code).toBe('HW_DB_RULE_INVALID');
    const fleet = await createRule(
      db.pool,
      {
        id: 'fleet-speed',
        version: 1,
        enterpriseId: 'ent-r',
        hazardSourceId: null,
        name: 'speed',
        kind: 'vehicle',
        check: { type: 'overspeed', durationMs: 60_000 },
      },
      { by: 'x' },
    );
    expect(fleet.partitionKey).toBe('fleet:ent-r');
  });
});
