import type { AlarmEvent, RuleDocumentInput, ThresholdLevel } from '@hazardwatch/contracts';
import { createRule, listEventsAfter, type Pool } from '@hazardwatch/db';
import { createRedis, QueueNames, type Redis } from '@hazardwatch/queue';
import { createRulesWorker, type RulesWorker, type RulesWorkerDeps } from '@hazardwatch/rules-worker';
import { runScenario, type ScenarioName } from '@hazardwatch/simulators';
import { testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { Queue } from 'bullmq';
import { type ServiceProcess, spawnService } from '../support/ingest-process.js';
import type { IngestStack } from '../support/ingest-stack.js';
import { testLog } from '../support/ingest-stack.js';

/** A rules worker in this process, on the stack's database, Redis prefix and partitions. */
export function inProcessWorker(stack: { db: { pool: Pool }; prefix: string; partitions: number }, opts: Partial<RulesWorkerDeps> = {}): RulesWorker {
  return createRulesWorker({
    pool: stack.db.pool,
    redis: () => createRedis(testRedisUrl()),
    prefix: stack.prefix,
    partitions: stack.partitions,
    log: testLog,
    tickMs: 250,
    tickLagMs: 500,
    retry: { minMs: 20, maxMs: 500 },
    versionCheckMs: 2_000,
    ...opts,
  });
}

/** A rules worker as its own process (`services/rules-worker/src/main.ts`), the way production runs it. */
export function workerProcess(stack: IngestStack, env: Record<string, string> = {}): ServiceProcess {
  return spawnService('services/rules-worker/src/main.ts', {
    DATABASE_URL: stack.db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: stack.prefix,
    EVAL_PARTITIONS: String(stack.partitions),
    RULES_WORKER_TICK_MS: '250',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ...env,
  });
}

/** Waits until the process has logged that it runs (its rules are loading). */
export async function waitUntilRunning(p: ServiceProcess): Promise<void> {
  await waitFor(() => p.output().includes('rules worker running') || p.proc.exitCode !== null, { timeoutMs: 30_000, what: 'rules worker process start' });
  if (p.proc.exitCode !== null) throw new Error(`rules worker exited ${p.proc.exitCode}:\n${p.output()}`);
}

/** Creates rules (version 1) as `test`. */
export async function createRules(pool: Pool, docs: readonly RuleDocumentInput[]): Promise<void> {
  for (const d of docs) await createRule(pool, d, { by: 'test' });
}

/** Every alarm event stored so far, in seq order. */
export async function allEvents(pool: Pool): Promise<AlarmEvent[]> {
  return listEventsAfter(pool, { afterSeq: 0, limit: 10_000 });
}

/** Evaluation jobs not finished yet, over every partition queue (ticks included). */
export async function pendingEvaluateJobs(redis: Redis, prefix: string, partitions: number): Promise<number> {
  let n = 0;
  for (let p = 0; p < partitions; p++) {
    const q = new Queue(QueueNames.evaluate(p), { connection: redis, prefix });
    const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'wait');
    n += (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) + (c.wait ?? 0);
    await q.close();
  }
  return n;
}

/** Waits until ingest holds nothing and every evaluation job (data or tick) has been handled. */
export async function waitForQuiet(stack: IngestStack, timeoutMs = 45_000): Promise<void> {
  await waitFor(
    async () => {
      if (stack.ingest.pending() > 0) return false;
      const failed = await failedEvaluateJobs(stack.redis, stack.prefix, stack.partitions);
      if (failed.length > 0) throw new Error(`evaluation jobs failed: ${failed.join('; ')}`);
      // Ticks keep coming: quiet means at most one tick per partition in flight.
      return (await pendingEvaluateJobs(stack.redis, stack.prefix, stack.partitions)) <= stack.partitions;
    },
    { timeoutMs, intervalMs: 200, what: 'evaluation queues to drain' },
  );
  // One more tick round so a job taken just before the check is done too.
  await new Promise((r) => setTimeout(r, 600));
}

/** Plays a bundled scenario into the stack's broker at its default speed (50 messages in flight, no status messages), then waits until every evaluation is done. */
export async function playScenario(stack: IngestStack, scenario: ScenarioName): Promise<void> {
  const summary = await runScenario({ scenario, brokerUrl: stack.broker.url, topicPrefix: stack.topicPrefix, statusMessages: false, window: 50 });
  if (summary.failed > 0) throw new Error(`${summary.failed} publishes of scenario ${scenario} failed`);
  await waitForQuiet(stack);
}

/** Failed evaluation jobs (id: reason); a test expects none unless it sends poison. */
export async function failedEvaluateJobs(redis: Redis, prefix: string, partitions: number): Promise<string[]> {
  const out: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const q = new Queue(QueueNames.evaluate(p), { connection: redis, prefix });
    for (const j of await q.getFailed(0, 100)) out.push(`${j.id}: ${j.failedReason}`);
    await q.close();
  }
  return out;
}

/** Compact view of engine events for assertions: `subject type level`. */
export function brief(events: readonly AlarmEvent[]): string[] {
  return events.map((e) => `${e.subject} ${e.type} ${e.level ?? '-'}`);
}

/** GB/T 50493 combustible gas rule (first 25 %LEL orange, second 50 %LEL red, latching, 2 %LEL deadband) for one detector. */
export function gasRule(id: string, enterpriseId: string, hazardSourceId: string, pointId: number): RuleDocumentInput {
  return {
    id,
    version: 1,
    enterpriseId,
    hazardSourceId,
    name: `gas ${id}`,
    kind: 'threshold',
    category: 'process',
    pointId,
    latching: true,
    // As the gas-combustible preset: the announced return to normal must not chatter at 25 %LEL.
    deadband: 2,
    source: 'GB/T 50493-2019 §5.5',
    levels: [
      { name: 'FIRST', colour: 'orange', side: 'high', setpoint: 25 },
      { name: 'SECOND', colour: 'red', side: 'high', setpoint: 50 },
    ],
  };
}

/** Level H of the LEL rules: 25 %LEL, orange. */
export const LEL_H: ThresholdLevel = { name: 'H', colour: 'orange', side: 'high', setpoint: 25 };
/** Level HH of the LEL rules: 50 %LEL, red. */
export const LEL_HH: ThresholdLevel = { name: 'HH', colour: 'red', side: 'high', setpoint: 50 };

/** A plain threshold rule (no latching, no deadband) on a gas detector of `smallPlant(enterpriseId)`, under its `-unit` hazard source. */
export function lelRule(id: string, enterpriseId: string, pointId: number, levels: ThresholdLevel[], name = 'LEL'): RuleDocumentInput {
  return { id, version: 1, enterpriseId, hazardSourceId: `${enterpriseId}-unit`, name, kind: 'threshold', pointId, levels };
}
