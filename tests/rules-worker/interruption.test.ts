import type { AlarmEvent } from '@hazardwatch/contracts';
import { waitFor } from '@hazardwatch/testkit';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../support/ingest-process.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { smallPlant } from '../support/sites.js';
import { allEvents, brief, createRules, waitUntilRunning, workerProcess } from './support.js';

const ENT = 'ent-silent';
const TIMEOUT_MS = 3_000;
/** main.ts: ticks every RULES_WORKER_TICK_MS (250 here) at wall time minus 1 s of lag. */
const TICK_MS = 250;
const TICK_LAG_MS = 1_000;
let stack: IngestStack;
let worker: ServiceProcess;

beforeAll(async () => {
  stack = await startIngestStack(smallPlant(ENT), { partitions: 4 });
  const lel = (d: string) => stack.site.pointIds[`${ENT}-${d}.lel`] ?? -1;
  await createRules(stack.db.pool, [
    {
      id: 'silence',
      version: 1,
      enterpriseId: ENT,
      hazardSourceId: `${ENT}-unit`,
      name: 'gas detectors silent',
      kind: 'interruption',
      category: 'offline',
      pointIds: [lel('gas1'), lel('gas2')],
      timeoutMs: TIMEOUT_MS,
    },
  ]);
  worker = workerProcess(stack, { RULES_WORKER_TICK_MS: String(TICK_MS) });
  await waitUntilRunning(worker);
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.dispose();
});

describe('data interruption, driven by the tick', () => {
  it('raises the interruption of a silent detector on time, not of the one still reporting, and clears when it is back', async () => {
    const client = await mqtt.connectAsync(stack.broker.url, { clean: true });
    const topic = (d: string) => `${stack.topicPrefix}hw/v1/${ENT}/${ENT}-${d}/telemetry`;
    const sent: Record<string, number> = {};
    const publish = async (d: string) => {
      const ts = Date.now();
      await client.publishAsync(topic(d), JSON.stringify({ ts, values: { lel: 0.5 } }), { qos: 1 });
      sent[d] = ts;
    };
    const seenAt = new Map<string, number>();
    const watch = setInterval(() => {
      allEvents(stack.db.pool).then(
        (events: AlarmEvent[]) => {
          for (const e of events) if (!seenAt.has(e.id)) seenAt.set(e.id, Date.now());
        },
        () => undefined,
      );
    }, 50);
    try {
      // Both report every 200 ms for 2 s; then gas1 falls silent while gas2 goes on.
      for (let i = 0; i < 10; i++) {
        await Promise.all([publish('gas1'), publish('gas2')]);
        await new Promise((r) => setTimeout(r, 200));
      }
      const lastGas1 = sent.gas1 ?? 0;
      const deadline = lastGas1 + TIMEOUT_MS;
      while (Date.now() < deadline + 3_000) {
        await publish('gas2');
        await new Promise((r) => setTimeout(r, 200));
      }
      const gas1 = `point:${stack.site.pointIds[`${ENT}-gas1.lel`]}`;
      const events = await allEvents(stack.db.pool);
      expect(brief(events)).toEqual([`${gas1} raised INTERRUPTION`]);
      const raised = events[0];
      // The engine fires at the deadline's own time; the tick brings it within its lag and interval.
      expect(raised?.at).toBe(deadline);
      expect(raised).toMatchObject({ category: 'offline', colour: 'yellow' });
      const arrived = seenAt.get(raised?.id ?? '') ?? Number.POSITIVE_INFINITY;
      expect(arrived - deadline).toBeLessThan(TICK_LAG_MS + TICK_MS + 1_000);

      // Back: the next reading clears it.
      await publish('gas1');
      await waitFor(async () => (await allEvents(stack.db.pool)).length >= 2, { what: 'the return to normal' });
      expect(brief(await allEvents(stack.db.pool))).toEqual([`${gas1} raised INTERRUPTION`, `${gas1} returned_to_normal INTERRUPTION`]);
    } finally {
      clearInterval(watch);
      await client.endAsync();
    }
  });
});
