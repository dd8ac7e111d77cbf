import type { RuleDocumentInput } from '@hazardwatch/contracts';
import { createRuleVersion, getOpenAlarm } from '@hazardwatch/db';
import { waitFor } from '@hazardwatch/testkit';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { smallPlant } from '../support/sites.js';
import { allEvents, brief, createRules, waitUntilRunning, workerProcess } from './support.js';

const ENT = 'ent-change';
let stack: IngestStack;
let worker: ServiceProcess;
let rule: RuleDocumentInput;

beforeAll(async () => {
  stack = await startIngestStack(smallPlant(ENT), { partitions: 4 });
  rule = {
    id: 'thr-c0',
    version: 1,
    enterpriseId: ENT,
    hazardSourceId: `${ENT}-tanks`,
    name: 'tank pressure high',
    kind: 'threshold',
    pointId: stack.site.pointIds[`${ENT}-rtu1.c0`] ?? -1,
    levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 8 }],
  };
  await createRules(stack.db.pool, [rule]);
  worker = workerProcess(stack);
  await waitUntilRunning(worker);
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.dispose();
});

describe('a rule changed while the worker runs', () => {
  it('is applied without a restart: the next tick re-judges the last value under the new version', async () => {
    const client = await mqtt.connectAsync(stack.broker.url, { clean: true });
    const topic = `${stack.topicPrefix}hw/v1/${ENT}/${ENT}-rtu1/telemetry`;
    try {
      for (let i = 0; i < 5; i++) {
        await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), values: { c0: 5 } }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await allEvents(stack.db.pool)).toEqual([]);

      // 5 MPa is now above the setpoint; no new reading is sent.
      const v2 = await createRuleVersion(
        stack.db.pool,
        'thr-c0',
        { ...rule, levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: 4 }] },
        { by: 'manager', note: 'lower setpoint after the tank was rerated', expectedVersion: 1 },
      );
      expect(v2.version).toBe(2);
      const subject = `point:${rule.kind === 'threshold' ? rule.pointId : -1}`;
      await waitFor(async () => (await allEvents(stack.db.pool)).length > 0, { timeoutMs: 10_000, what: 'the raise under version 2' });
      const events = await allEvents(stack.db.pool);
      expect(brief(events)).toEqual([`${subject} raised H`]);
      expect(events[0]?.id.startsWith('thr-c0:2:')).toBe(true);

      // A third version with a worse colour: the open alarm follows it (level change announced).
      await createRuleVersion(
        stack.db.pool,
        'thr-c0',
        { ...rule, levels: [{ name: 'H', colour: 'red', side: 'high', setpoint: 4 }] },
        { by: 'manager', expectedVersion: 2 },
      );
      await waitFor(async () => (await allEvents(stack.db.pool)).length > 1, { timeoutMs: 10_000, what: 'the colour change under version 3' });
      const after = await allEvents(stack.db.pool);
      expect(brief(after)).toEqual([`${subject} raised H`, `${subject} level_changed H`]);
      expect(after[1]?.id.startsWith('thr-c0:3:')).toBe(true);
      expect(await getOpenAlarm(stack.db.pool, 'thr-c0', subject)).toMatchObject({ colour: 'red', state: 'active_unacknowledged' });
      expect(worker.output()).toContain('rule change picked up');
    } finally {
      await client.endAsync();
    }
  });
});
