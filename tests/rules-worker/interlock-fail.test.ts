import { bundledSite, TANK_EVENT_PLAN } from '@hazardwatch/simulators';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { allEvents, brief, createRules, playScenario, waitForQuiet, waitUntilRunning, workerProcess } from './support.js';

let stack: IngestStack;
let worker: ServiceProcess;
const P = TANK_EVENT_PLAN;

beforeAll(async () => {
  stack = await startIngestStack(bundledSite('chemical-plant'), { partitions: 4 });
  const point = (key: string) => stack.site.pointIds[key] ?? -1;
  const sis = (ch: string) => point(`${P.sisDeviceId}.${ch}`);
  await createRules(stack.db.pool, [
    {
      id: 'tk-101-pressure',
      version: 1,
      enterpriseId: P.enterpriseId,
      hazardSourceId: P.hazardSourceId,
      name: 'TK-101 pressure high',
      kind: 'threshold',
      pointId: point(`${P.tankDeviceId}.pressure`),
      deadband: 0.03,
      levels: [{ name: 'H', colour: 'orange', side: 'high', setpoint: P.highAlarmMPa }],
    },
    {
      id: 'is-1011',
      version: 1,
      enterpriseId: P.enterpriseId,
      hazardSourceId: P.hazardSourceId,
      name: 'IS-1011 TK-101 overpressure interlock',
      kind: 'interlock',
      triggers: P.sisChannels.transmitters.map((ch) => ({ pointId: sis(ch), cmp: 'at_least' as const, value: P.tripMPa })),
      votesToTrip: P.vote.k,
      // 'trip' (fail-safe) would also trip at the rule's first tick, before any reading has arrived:
      // inputs never seen count as faulty in the engine. See the README (known behaviour).
      faultyInputVotes: 'ignore',
      action: { pointId: sis(P.sisChannels.valve), cmp: 'equals', value: 0 },
      responseMs: 10_000,
      bypass: { pointId: sis(P.sisChannels.bypass), cmp: 'equals', value: 1 },
      tripLevel: { name: 'TRIP', colour: 'orange' },
    },
  ]);
  worker = workerProcess(stack);
  await waitUntilRunning(worker);
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.dispose();
});

describe('interlock-fail end to end', () => {
  it('raises the high pressure alarm, the interlock demand, then the failure of XV-1011 to close', async () => {
    await playScenario(stack, 'interlock-fail');
    // The response time runs on engine time, which the tick moves on after the (past-dated) stream.
    await waitFor(async () => (await allEvents(stack.db.pool)).length >= 3, { timeoutMs: 20_000, what: 'the action-failed alarm' });
    await waitForQuiet(stack);
    const events = await allEvents(stack.db.pool);
    const pressure = `point:${stack.site.pointIds[`${P.tankDeviceId}.pressure`]}`;
    expect(brief(events)).toEqual([`${pressure} raised H`, 'rule:is-1011:trip raised TRIP', 'rule:is-1011:action raised ACTION_FAILED']);
    const failed = events[2];
    expect(failed).toMatchObject({ colour: 'red', category: 'interlock', stateAfter: 'active_unacknowledged', value: 1 });
    expect((failed?.at ?? 0) - (events[1]?.at ?? 0)).toBe(10_000);
  });
});
