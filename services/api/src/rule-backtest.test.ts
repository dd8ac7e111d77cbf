import { commitIngestBatch, insertPoint } from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { instantiatePreset } from '@hazardwatch/rules';
import { MAX_BACKTEST_ROWS, RulesWorkerError, RulesWorkerErrorCode } from '@hazardwatch/rules-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { errorBody, toApiError } from './error-handler.js';
import { type ApiFixture, createApiFixture, ruleOf, T0 } from './test-fixture.js';

let f: ApiFixture;
let lel = 0;
/** A combustible gas detector's ramp past 25 then 50 %LEL, one reading a minute, then the gas goes. */
const RAMP = [0, 5, 12, 20, 24, 26, 31, 38, 45, 49, 51, 58, 62, 40, 20, 8, 2, 0];
const START = T0 + 86_400_000;
const at = (i: number) => START + i * 60_000;

beforeAll(async () => {
  f = await createApiFixture();
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
  await commitIngestBatch(f.db.pool, {
    readings: RAMP.map((value, i) => ({ pointId: lel, ts: at(i), value, quality: 'good' as const })),
    positions: [],
    statuses: [],
    deadLetters: [],
  });
});
afterAll(async () => {
  await f?.close();
});

type Key = Parameters<ApiFixture['auth']>[0];
const backtest = (payload: object, key: Key = 'managerZb') => f.app.inject({ method: 'POST', url: '/api/v1/rules/backtest', payload, headers: f.auth(key) });
const gasDraft = (over: Record<string, unknown> = {}) => ({
  ...instantiatePreset('gas-combustible', { ruleId: 'lel-draft', enterpriseId: 'ent-zb', hazardSourceId: 'hs-zb-tank', pointId: lel }),
  ...over,
});
const range = { from: START, to: at(RAMP.length + 10) };

describe('POST /rules/backtest', () => {
  it('runs the GB/T 50493 preset over a stored ramp: first level at 26, second at 51, held there, latched when the gas goes', async () => {
    const r = await backtest({ rule: gasDraft(), ...range });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ from: range.from, to: range.to, readings: RAMP.length, positions: 0 });
    expect(body.transitions.map((t: { kind: string; level: string | null; at: number; value: number | null }) => [t.kind, t.level, t.at, t.value])).toEqual([
      ['raise', 'FIRST', at(5), 26],
      ['level', 'SECOND', at(10), 51],
      // Below the first level: the condition is gone, the alarm stays latched (latching: true) until a person resets it.
      ['clear', null, at(14), 20],
    ]);
    expect(body.transitions.every((t: { latching: boolean; ruleId: string }) => t.latching && t.ruleId === 'lel-draft')).toBe(true);
    expect(body.countsByLevel).toEqual({ FIRST: 1, SECOND: 1 });
    expect(body.countsByColour).toEqual({ red: 1, orange: 1, yellow: 0, blue: 0 });
  });

  it('a non-latching draft of the same levels clears when the gas goes; ISO times are accepted', async () => {
    const r = await backtest({ rule: gasDraft({ latching: false }), from: new Date(range.from).toISOString(), to: range.to, tickMs: 60_000 });
    expect(r.statusCode).toBe(200);
    const kinds = r.json().transitions.map((t: { kind: string; level: string | null; at: number }) => [t.kind, t.level, t.at]);
    expect(kinds).toEqual([
      ['raise', 'FIRST', at(5)],
      ['level', 'SECOND', at(10)],
      ['level', 'FIRST', at(13)],
      ['clear', null, at(14)],
    ]);
    expect(r.json().tickMs).toBe(60_000);
  });

  it('answers invalid drafts and ranges with readable reasons (400)', async () => {
    const noLevels = await backtest({ rule: gasDraft({ levels: [] }), ...range });
    expect(noLevels.statusCode).toBe(400);
    expect(noLevels.json().details).toContainEqual({ path: 'body.rule.levels', message: 'a threshold rule needs at least one level' });
    const kind = await backtest({ rule: { ...gasDraft(), kind: 'magic' }, ...range });
    expect(kind.json().details).toContainEqual({ path: 'body.rule.kind', message: expect.stringContaining('kind must be one of') });
    const backwards = await backtest({ rule: gasDraft(), from: range.to, to: range.from });
    expect(backwards.json().details).toEqual([{ path: 'body.to', message: 'to must be after from' }]);
    const long = await backtest({ rule: gasDraft(), from: START, to: START + 40 * 86_400_000 });
    expect(long.statusCode).toBe(400);
    expect(long.json().details).toEqual([{ path: 'body.to', message: 'at most 31 days per backtest' }]);
    expect((await backtest({ ...range })).json().details[0].path).toBe('body.rule');
    expect((await backtest({ rule: gasDraft(), ...range, tickMs: 10 })).json().details[0].path).toBe('body.tickMs');
  });

  it('reads only the caller’s enterprise: 404 for a draft of another, 400 for a point of another', async () => {
    const other = await backtest({ rule: ruleOf('zz', f.sites.zz.pointIds['dev-zz-1.nh3'] ?? -1, { id: 'zz-draft' }), ...range });
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('HW_API_NOT_FOUND');
    const foreignPoint = await backtest({ rule: ruleOf('zb', f.sites.zz.pointIds['dev-zz-1.nh3'] ?? -1, { id: 'zb-draft' }), from: T0, to: T0 + 3_600_000 });
    expect(foreignPoint.statusCode).toBe(400);
    expect(foreignPoint.body).not.toContain('ent-zz');
    expect(foreignPoint.body).not.toContain('"transitions"');
    // The admin sees both; a regulator or an operator does not change rules.
    expect(
      (await backtest({ rule: ruleOf('zz', f.sites.zz.pointIds['dev-zz-1.nh3'] ?? -1, { id: 'zz-draft' }), from: T0, to: T0 + 3_600_000 }, 'admin')).statusCode,
    ).toBe(200);
    expect((await backtest({ rule: gasDraft(), ...range }, 'operatorZb')).statusCode).toBe(403);
    expect((await backtest({ rule: gasDraft(), ...range }, 'regulator3703')).statusCode).toBe(403);
    expect((await f.app.inject({ method: 'POST', url: '/api/v1/rules/backtest', payload: { rule: gasDraft(), ...range } })).statusCode).toBe(401);
  });

  it('is rate-limited as an expensive query', async () => {
    const app = await buildApp({ pool: f.db.pool, log: createLogger({ level: 'silent' }), config: { expensiveQueryLimit: { max: 1, windowMs: 60_000 } } });
    try {
      const send = () => app.inject({ method: 'POST', url: '/api/v1/rules/backtest', payload: { rule: gasDraft(), ...range }, headers: f.auth('managerZb') });
      expect((await send()).statusCode).toBe(200);
      const limited = await send();
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('HW_API_RATE_LIMITED');
    } finally {
      await app.close();
    }
  });

  it('answers a range with more stored rows than one backtest reads with 413', () => {
    // Two million stored readings are too many to insert in a unit test: the worker's refusal is mapped here.
    const e = toApiError(new RulesWorkerError(RulesWorkerErrorCode.BacktestTooLarge, `more than ${MAX_BACKTEST_ROWS} stored inputs in the range: shorten it`));
    expect(e.statusCode).toBe(413);
    expect(errorBody(e)).toEqual({ code: 'HW_API_BACKTEST_TOO_LARGE', message: 'more than 2000000 stored inputs in the range: shorten it' });
  });

  it('is documented with its 413', async () => {
    const doc = (await f.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/rules/backtest'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '413', '429']));
    expect(doc.paths['/api/v1/rule-presets'].get).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/rules/from-preset'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409']));
    expect(Object.keys(doc.paths['/api/v1/alarms/{alarmId}/reset'].post.responses)).toEqual(expect.arrayContaining(['200', '409', '503']));
  });
});
