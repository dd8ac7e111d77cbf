import { getOpenAlarm, latestReadings } from '@hazardwatch/db';
import { partitionOf, sourceKey } from '@hazardwatch/queue';
import { requestLatchReset } from '@hazardwatch/rules-worker';
import { bundledSite, GAS_LEAK_PLAN } from '@hazardwatch/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { allEvents, brief, createRules, gasRule, playScenario, waitUntilRunning, workerProcess } from './support.js';

const DETECTORS = ['gd-201', 'gd-202', 'gd-203', 'gd-204', 'gd-205'];
let stack: IngestStack;
let worker: ServiceProcess;

beforeAll(async () => {
  stack = await startIngestStack(bundledSite('chemical-plant'), { partitions: 4 });
  const point = (d: string) => stack.site.pointIds[`${d}.${GAS_LEAK_PLAN.channel}`] ?? -1;
  await createRules(
    stack.db.pool,
    DETECTORS.map((d) => gasRule(`gas-${d}`, GAS_LEAK_PLAN.enterpriseId, GAS_LEAK_PLAN.hazardSourceId, point(d))),
  );
  worker = workerProcess(stack);
  await waitUntilRunning(worker);
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.dispose();
});

describe('gas-leak end to end (Mosquitto → ingest → PostgreSQL → rules worker process → alarm store)', () => {
  it('raises GD-203 first level then second level, GD-202 first level, nothing else; once the gas is gone they show latched', async () => {
    await playScenario(stack, 'gas-leak');

    const events = await allEvents(stack.db.pool);
    const p = (d: string) => `point:${stack.site.pointIds[`${d}.lel`]}`;
    const of = (d: string) => events.filter((e) => e.subject === p(d));
    expect(brief(of('gd-203'))).toEqual([`${p('gd-203')} raised FIRST`, `${p('gd-203')} level_changed SECOND`, `${p('gd-203')} returned_to_normal SECOND`]);
    expect(brief(of('gd-202'))).toEqual([`${p('gd-202')} raised FIRST`, `${p('gd-202')} returned_to_normal FIRST`]);
    expect(events.length).toBe(5);
    expect(of('gd-203').map((e) => e.colour)).toEqual(['orange', 'red', 'red']);
    expect(events.every((e) => e.regionCode === '370321' && e.actor === 'engine' && e.hazardSourceId === GAS_LEAK_PLAN.hazardSourceId)).toBe(true);
    // One alarm per detector: the return to normal lands in ISA-18.2 `latched`, not closed.
    expect(new Set(of('gd-203').map((e) => e.alarmId)).size).toBe(1);
    expect(of('gd-203').at(-1)).toMatchObject({ stateBefore: 'active_unacknowledged', stateAfter: 'latched' });

    // The gas is gone (< 2 %LEL well before the end): the alarms are latched (GB/T 50493), awaiting a reset.
    const gd203 = await getOpenAlarm(stack.db.pool, 'gas-gd-203', p('gd-203'));
    expect(gd203).toMatchObject({ state: 'latched', conditionActive: false, latching: true, level: 'SECOND', colour: 'red' });
    expect(gd203?.clearedAt).not.toBeNull();
    expect(await getOpenAlarm(stack.db.pool, 'gas-gd-202', p('gd-202'))).toMatchObject({ state: 'latched', conditionActive: false, level: 'FIRST' });
    const [latest] = await latestReadings(stack.db.pool, [stack.site.pointIds['gd-203.lel'] ?? -1]);
    expect(latest?.value ?? 99).toBeLessThan(2);
    const n = partitionOf(sourceKey(GAS_LEAK_PLAN.hazardSourceId), stack.partitions);
    const state = JSON.parse((await stack.redis.hget(`${stack.prefix}:rw:p${n}:state`, 'gas-gd-203')) ?? '{}');
    expect(state.subjects[p('gd-203')].open).toMatchObject({ level: 'SECOND', latched: true, clearSent: true });
    const gd202 = JSON.parse((await stack.redis.hget(`${stack.prefix}:rw:p${n}:state`, 'gas-gd-202')) ?? '{}');
    expect(gd202.subjects[p('gd-202')].open).toMatchObject({ level: 'FIRST', latched: true, clearSent: true });
  });

  it('resets the latch once the gas is gone, through the worker that holds it, once', async () => {
    const p = (d: string) => `point:${stack.site.pointIds[`${d}.lel`]}`;
    const partitionKey = `source:${GAS_LEAK_PLAN.hazardSourceId}`;
    const ask = (eventId: string) =>
      requestLatchReset(
        { connection: stack.redis, prefix: stack.prefix, partitions: stack.partitions },
        { partitionKey, ruleId: 'gas-gd-203', subject: p('gd-203'), eventId, actor: 'operator-1', reason: 'gas gone, area checked', requestedAt: Date.now() },
      );
    const done = await ask('reset-203-a');
    expect(done).toMatchObject({ ok: true });
    const events = await allEvents(stack.db.pool);
    // The return to normal was announced when the gas went: the reset adds only the person's event.
    expect(brief(events.slice(5))).toEqual([`${p('gd-203')} reset SECOND`]);
    expect(events.at(-1)).toMatchObject({ actor: 'operator-1', stateBefore: 'latched', stateAfter: 'normal', reason: 'gas gone, area checked' });
    expect(done).toMatchObject({ eventIds: [events.at(-1)?.id] });
    expect(await getOpenAlarm(stack.db.pool, 'gas-gd-203', p('gd-203'))).toBeNull();

    // The same request again: the same answer, nothing new. A new one: nothing latched any more.
    expect(await ask('reset-203-a')).toEqual(done);
    expect(await ask('reset-203-b')).toMatchObject({ ok: false, code: 'HW_RULES_RESET_NOTHING_LATCHED' });
    expect((await allEvents(stack.db.pool)).length).toBe(events.length);
  });
});
