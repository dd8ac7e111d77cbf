import type { EvaluateJob } from '@hazardwatch/contracts';
import { insertPoint } from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { createEvaluateProducer, createRedis, type EvaluateProducer, partitionOf, type Redis, sourceKey } from '@hazardwatch/queue';
import { createRulesWorker, type RulesWorker } from '@hazardwatch/rules-worker';
import { dropRedisPrefix, testRedisPrefix, testRedisUrl, waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { type ApiFixture, createApiFixture, seedAlarm } from './test-fixture.js';

/**
 * The reset action of a rule's latched alarm through a real rules worker (in process) on Redis:
 * refused while the gas is there, applied in order with the readings once it has gone, and the
 * engine's latch goes with the alarm's (a new crossing raises a new alarm).
 */
const PARTITIONS = 4;
let f: ApiFixture;
let redis: Redis;
let prefix: string;
let producer: EvaluateProducer;
let worker: RulesWorker;
let lel = 0;
let batch = 0;
const partition = partitionOf(sourceKey('hs-zb-tank'), PARTITIONS);

beforeAll(async () => {
  prefix = testRedisPrefix();
  redis = createRedis(testRedisUrl());
  f = await createApiFixture({ deps: { latchReset: { connection: redis, prefix, partitions: PARTITIONS, timeoutMs: 20_000 } } });
  const id = await insertPoint(
    f.db.pool,
    { kind: 'all' },
    {
      deviceId: 'dev-zb-1',
      channel: 'lel',
      hazardSourceId: 'hs-zb-tank',
      kind: 'combustible_gas',
      unit: '%LEL',
      rangeMin: 0,
      rangeMax: 100,
    },
  );
  if (id === null) throw new Error('point not created');
  lel = id;
  const created = await f.app.inject({
    method: 'POST',
    url: '/api/v1/rules/from-preset',
    headers: f.auth('managerZb'),
    payload: { presetId: 'gas-combustible', ruleId: 'lel-latch', enterpriseId: 'ent-zb', pointId: lel },
  });
  if (created.statusCode !== 201) throw new Error(`rule not created: ${created.body}`);
  producer = createEvaluateProducer({ connection: redis, prefix, partitions: PARTITIONS });
  worker = createRulesWorker({
    pool: f.db.pool,
    redis: () => createRedis(testRedisUrl()),
    prefix,
    partitions: PARTITIONS,
    log: createLogger({ level: 'silent' }),
    tickMs: 250,
    tickLagMs: 500,
    retry: { minMs: 20, maxMs: 500 },
    versionCheckMs: 2_000,
  });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  await f?.close();
  redis?.disconnect();
  if (prefix) await dropRedisPrefix(prefix);
});

type Key = Parameters<ApiFixture['auth']>[0];
const reset = (alarmId: string, key: Key = 'operatorZb', headers: Record<string, string> = {}) =>
  f.app.inject({
    method: 'POST',
    url: `/api/v1/alarms/${alarmId}/reset`,
    payload: { reason: 'gas gone, checked on site' },
    headers: { ...f.auth(key), ...headers },
  });

/** Readings of the detector as ingest would enqueue them, stamped now (live data). */
async function readings(...values: number[]): Promise<void> {
  const now = Date.now();
  const job: EvaluateJob = {
    v: 1,
    partition,
    batchId: `b-${++batch}`,
    committedAt: now,
    readings: values.map((value, i) => ({ pointId: lel, ts: now + i, value, quality: 'good' })),
    positions: [],
    statuses: [],
  };
  await producer.enqueue([job]);
}

async function alarmsOfRule(): Promise<Array<{ id: string; state: string; level: string | null }>> {
  return (await f.app.inject({ url: '/api/v1/alarms?ruleId=lel-latch', headers: f.auth('operatorZb') })).json().items;
}

describe('POST /alarms/{id}/reset of a rule’s latched alarm', () => {
  it('is refused while the gas is there, applied once it has gone, idempotent, and clears the engine’s latch too', async () => {
    await readings(10, 30, 55);
    const [raised] = await waitFor(
      async () => {
        const a = await alarmsOfRule();
        return a.length === 1 && a[0]?.level === 'SECOND' ? a : null;
      },
      { what: 'the latching alarm at its second level' },
    );
    const id = raised?.id ?? '';

    const early = await reset(id, 'operatorZb', { 'idempotency-key': 'too-early' });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({ code: 'HW_RULES_RESET_CONDITION_ACTIVE', message: expect.any(String) });
    expect((await alarmsOfRule())[0]?.state).toBe('active_unacknowledged');

    // Out of scope and wrong role: never reaches the worker.
    expect((await reset(id, 'managerZz')).statusCode).toBe(404);
    expect((await reset(id, 'regulator3703')).statusCode).toBe(403);

    await readings(20, 4);
    await waitFor(async () => (await alarmsOfRule())[0]?.state === 'latched', { what: 'the alarm latched after the gas went' });

    // The same request again gets the same answer; a new one is decided now.
    expect((await reset(id, 'operatorZb', { 'idempotency-key': 'too-early' })).json().code).toBe('HW_RULES_RESET_CONDITION_ACTIVE');
    const done = await reset(id, 'operatorZb', { 'idempotency-key': 'reset-1' });
    expect(done.statusCode).toBe(200);
    const body = done.json();
    expect(body.duplicate).toBe(false);
    expect(body.alarm).toMatchObject({ id, state: 'normal', acknowledgedBy: expect.stringMatching(/^key:/) });
    expect(body.events.map((e: { type: string }) => e.type)).toContain('reset');
    expect(body.events.find((e: { type: string }) => e.type === 'reset')).toMatchObject({
      actor: expect.stringMatching(/^key:/),
      reason: 'gas gone, checked on site',
    });

    const again = await reset(id, 'operatorZb', { 'idempotency-key': 'reset-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, alarm: { id, state: 'normal' } });
    expect(again.json().events.map((e: { id: string }) => e.id)).toEqual(
      body.events.filter((e: { type: string }) => e.type === 'reset').map((e: { id: string }) => e.id),
    );
    // A different request on the closed alarm.
    expect((await reset(id)).json().code).toBe('HW_ALARM_CLOSED');

    // The engine's latch went with the alarm's: the next crossing raises a new alarm.
    await readings(35);
    const after = await waitFor(
      async () => {
        const a = await alarmsOfRule();
        return a.length === 2 ? a : null;
      },
      { what: 'a new alarm after the reset' },
    );
    expect(after.map((a) => a.state)).toEqual(['active_unacknowledged', 'normal']);
  });

  it('answers 503 with the worker’s code when no worker answers in time (the request stays queued)', async () => {
    const silent = testRedisPrefix();
    const app = await buildApp({
      pool: f.db.pool,
      log: createLogger({ level: 'silent' }),
      latchReset: { connection: redis, prefix: silent, partitions: PARTITIONS, timeoutMs: 300 },
    });
    try {
      const id = await seedAlarm(f.db.pool, 'zb', f.sites.zb.pointIds['dev-zb-1.nh3'] ?? -1, { latching: true, clear: true });
      const r = await app.inject({ method: 'POST', url: `/api/v1/alarms/${id}/reset`, payload: {}, headers: f.auth('operatorZb') });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ code: 'HW_RULES_WORKER_RESET_TIMEOUT', message: expect.stringContaining('Idempotency-Key') });
    } finally {
      await app.close();
      await dropRedisPrefix(silent);
    }
  });

  it('answers 503 with a clear code when Redis does not answer (its commands wait for it)', async () => {
    const down = createRedis('redis://127.0.0.1:1', { onError: () => undefined });
    const app = await buildApp({
      pool: f.db.pool,
      log: createLogger({ level: 'silent' }),
      latchReset: { connection: down, prefix: testRedisPrefix(), partitions: PARTITIONS, timeoutMs: 200 },
    });
    try {
      const id = await seedAlarm(f.db.pool, 'zb', f.sites.zb.pointIds['dev-zb-1.nh3'] ?? -1, { latching: true, clear: true });
      const r = await app.inject({ method: 'POST', url: `/api/v1/alarms/${id}/reset`, payload: {}, headers: f.auth('operatorZb') });
      expect(r.statusCode).toBe(503);
      expect(r.json().code).toBe('HW_RULES_WORKER_RESET_TIMEOUT');
    } finally {
      await app.close();
      down.disconnect();
    }
  });
});
