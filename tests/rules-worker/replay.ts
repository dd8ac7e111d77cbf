import type { AlarmEvent, AlarmTransition, RuleDocumentInput, SiteFile } from '@hazardwatch/contracts';
import { RuleDocumentSchema } from '@hazardwatch/contracts';
import { backtestRule, type RulesWorker } from '@hazardwatch/rules-worker';
import { runScenario, type ScenarioName } from '@hazardwatch/simulators';
import { waitFor } from '@hazardwatch/testkit';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { allEvents, createRules, inProcessWorker, waitForQuiet } from './support.js';

const TICK_LAG_MS = 500;

/**
 * A past-dated scenario (hours of simulated time published in seconds) through Mosquitto,
 * ingest, PostgreSQL and a rules worker whose clock is injected: it stays at the scenario's
 * start while the stream flows (so ticks never run ahead of the data), then jumps past its end
 * so the last deadlines fire. The same rules are then backtested over the stored data: the
 * live pipeline must have produced exactly the backtest's transitions (same ids).
 *
 * Why one connection: at replay speed hours pass in seconds, so a few milliseconds of skew
 * between two connections are minutes of simulated time. A reading overtaken by a later one
 * of the same point is skipped (at or before the last time evaluated), and a fleet rule's clock
 * moved on by one vehicle's positions sees another vehicle that is merely behind as silent.
 * Live data does not do that (its clocks are wall clocks); a replay must keep the order.
 */
export async function replayScenario(o: {
  site: SiteFile;
  scenario: ScenarioName;
  rules: (pointIds: Record<string, number>) => RuleDocumentInput[];
  durationS?: number;
  rateHz?: number;
}): Promise<{ stack: IngestStack; startMs: number; events: AlarmEvent[]; expected: AlarmTransition[]; dispose(): Promise<void> }> {
  // One MQTT connection from the publisher and one into ingest, one message per batch: the
  // stream reaches the worker in time order (see below), at a few hundred messages a second.
  const stack = await startIngestStack(o.site, { partitions: 4, connections: 1, batchMaxRows: 1 });
  let worker: RulesWorker | undefined;
  try {
    const docs = o.rules(stack.site.pointIds);
    await createRules(stack.db.pool, docs);
    const durationS = o.durationS ?? 0;
    const startMs = Math.floor(Date.now() - (durationS + 600) * 1000);
    const endMs = startMs + durationS * 1000;
    let now = startMs;
    worker = inProcessWorker(stack, { now: () => now, tickLagMs: TICK_LAG_MS });
    await worker.start();
    const summary = await runScenario({
      scenario: o.scenario,
      brokerUrl: stack.broker.url,
      topicPrefix: stack.topicPrefix,
      startMs,
      ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
      ...(o.rateHz !== undefined ? { rateHz: o.rateHz } : {}),
      statusMessages: false,
      connections: 1,
      window: 100,
    });
    if (summary.failed > 0) throw new Error(`${summary.failed} publishes failed`);
    // Every published row must be committed (and so enqueued) before the clock moves on: under load
    // ingest can still hold messages when the evaluate queues look empty, and a tick at the final
    // time would then judge a window that is missing its last readings.
    await waitFor(
      async () => {
        const r = await stack.db.pool.query<{ n: number }>('SELECT (SELECT count(*) FROM readings) + (SELECT count(*) FROM positions) AS n');
        return Number(r.rows[0]?.n ?? 0) >= summary.readings + summary.positions;
      },
      { what: 'every published row committed', timeoutMs: 60_000 },
    );
    await waitForQuiet(stack);
    now = endMs + 120_000;
    await new Promise((r) => setTimeout(r, 1_000));
    await waitForQuiet(stack);

    const events = (await allEvents(stack.db.pool)).filter((e) => e.actor === 'engine');
    const expected: AlarmTransition[] = [];
    for (const d of docs) {
      const r = await backtestRule(stack.db.pool, RuleDocumentSchema.parse(d), { from: startMs - TICK_LAG_MS, to: now - TICK_LAG_MS, tickMs: 60_000 });
      expected.push(...r.transitions);
    }
    const w = worker;
    return {
      stack,
      startMs,
      events,
      expected,
      async dispose() {
        await w.stop();
        await stack.dispose();
      },
    };
  } catch (err) {
    await worker?.stop().catch(() => undefined);
    await stack.dispose();
    throw err;
  }
}
