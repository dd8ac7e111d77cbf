import type { AlarmEvent, DispatchScope } from '@hazardwatch/contracts';
import { createLogger } from '@hazardwatch/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { type ApiFixture, createApiFixture, replayOnlyLiveSource, seedAlarm, T0 } from './test-fixture.js';

let f: ApiFixture;
const published: AlarmEvent[][] = [];
const subscriptions: Array<{ scope: DispatchScope; lastEventId: number | string | null }> = [];
beforeAll(async () => {
  f = await createApiFixture({ deps: { publishEvents: async (events) => void published.push([...events]) } });
});
afterAll(async () => {
  await f?.close();
});

type Key = Parameters<ApiFixture['auth']>[0];
const get = (url: string, key: Key = 'operatorZb') => f.app.inject({ url, headers: f.auth(key) });
const post = (url: string, payload: object, key: Key = 'operatorZb', headers: Record<string, string> = {}) =>
  f.app.inject({ method: 'POST', url, payload, headers: { ...f.auth(key), ...headers } });
const nh3 = (t: 'zb' | 'zz') => f.sites[t].pointIds[`dev-${t}-1.nh3`] ?? -1;

describe('alarm lists', () => {
  it('filters by state, colour and openness, within the scope', async () => {
    await seedAlarm(f.db.pool, 'zb', nh3('zb'), { colour: 'yellow' });
    // Cleared and acknowledged: closed, history.
    await seedAlarm(f.db.pool, 'zb', nh3('zb'), { colour: 'blue', clear: true, followUp: [{ type: 'acknowledge', eventId: 'seed-ack', actor: 'seed' }] });
    const all = (await get('/api/v1/alarms', 'regulator3703')).json();
    expect(all.items.length).toBe(3);
    expect(all.items.every((a: { enterpriseId: string }) => a.enterpriseId === 'ent-zb')).toBe(true);
    expect(all.items.map((a: { raisedAt: number }) => a.raisedAt)).toEqual([...all.items.map((a: { raisedAt: number }) => a.raisedAt)].sort((x, y) => y - x));
    const red = (await get('/api/v1/alarms?colour=red,orange', 'regulator3703')).json().items;
    expect(red.map((a: { colour: string }) => a.colour)).toEqual(['red']);
    const closed = (await get('/api/v1/alarms?open=false', 'regulator3703')).json().items;
    expect(closed.map((a: { colour: string; state: string }) => [a.colour, a.state])).toEqual([['blue', 'normal']]);
    const unacked = (await get('/api/v1/alarms?state=active_unacknowledged&open=true')).json().items;
    expect(unacked.length).toBe(2);
    expect((await get('/api/v1/alarms?region=3704', 'regulator3703')).json().items).toEqual([]);
    expect((await get('/api/v1/alarms?region=37', 'regulator37')).json().items.length).toBeGreaterThan(3);
    expect((await get('/api/v1/alarms?state=burning')).json().details[0].path).toBe('query.state.0');
  });

  it('pages with the store’s cursor', async () => {
    const one = (await get('/api/v1/alarms?limit=1', 'regulator3703')).json();
    expect(one.items).toHaveLength(1);
    const two = (await get(`/api/v1/alarms?limit=5&cursor=${one.nextCursor}`, 'regulator3703')).json();
    expect(two.items.map((a: { id: string }) => a.id)).not.toContain(one.items[0].id);
    expect((await get('/api/v1/alarms?cursor=forged', 'regulator3703')).json()).toEqual({
      code: 'HW_API_VALIDATION',
      message: 'request is invalid',
      details: [{ path: 'query.cursor', message: 'not a cursor this API issued' }],
    });
  });
});

describe('alarm actions', () => {
  it('acknowledges once per Idempotency-Key, records who, and publishes after commit', async () => {
    const id = await seedAlarm(f.db.pool, 'zb', nh3('zb'));
    published.length = 0;
    const ack = await post(`/api/v1/alarms/${id}/acknowledge`, { comment: 'on my way' }, 'operatorZb', { 'idempotency-key': 'ack-1' });
    expect(ack.statusCode).toBe(200);
    const body = ack.json();
    expect(body.duplicate).toBe(false);
    expect(body.alarm.state).toBe('active_acknowledged');
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({ type: 'acknowledged', actor: expect.stringMatching(/^key:/), regionCode: '370321' });
    expect(published).toEqual([body.events]);
    const again = await post(`/api/v1/alarms/${id}/acknowledge`, { comment: 'on my way' }, 'operatorZb', { 'idempotency-key': 'ack-1' });
    expect(again.json()).toMatchObject({ duplicate: true, events: body.events });
    expect(published).toHaveLength(1);
    const other = await post(`/api/v1/alarms/${id}/acknowledge`, {}, 'managerZb');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({ code: 'HW_ALARM_ALREADY_ACKNOWLEDGED', message: expect.any(String) });
    const history = (await get(`/api/v1/alarms/${id}/events`, 'regulator3703')).json().items;
    expect(history.map((e: { type: string }) => e.type)).toEqual(['raised', 'acknowledged']);
  });

  it('answers state-machine refusals with their codes, and bad bodies with 400', async () => {
    const id = await seedAlarm(f.db.pool, 'zb', nh3('zb'));
    const long = await post(`/api/v1/alarms/${id}/shelve`, { durationMs: 48 * 3_600_000, reason: 'weekend' });
    expect(long.statusCode).toBe(400);
    expect(long.json().code).toBe('HW_ALARM_SHELVE_DURATION_INVALID');
    expect((await post(`/api/v1/alarms/${id}/reset`, {})).json().code).toBe('HW_ALARM_NOT_LATCHING');
    const noText = await post(`/api/v1/alarms/${id}/comment`, {}, 'regulator3703');
    expect(noText.statusCode).toBe(400);
    expect(noText.json().details[0].path).toBe('body.text');
    expect((await post(`/api/v1/alarms/${id}/comment`, { text: 'county bureau notified' }, 'regulator3703')).statusCode).toBe(200);
    expect((await post(`/api/v1/alarms/${id}/acknowledge`, {}, 'regulator3703')).statusCode).toBe(403);
    expect((await post(`/api/v1/alarms/${id}/suppress`, { reason: 'x' }, 'operatorZb')).statusCode).toBe(403);
    expect((await post(`/api/v1/alarms/${id}/acknowledge`, {}, 'managerZz')).statusCode).toBe(404);
    expect((await post('/api/v1/alarms/no-such-alarm/acknowledge', {})).statusCode).toBe(404);
  });

  it('answers 503 to a reset of a rule’s latched alarm without the rules worker’s queues (latch-reset.test.ts has them)', async () => {
    const id = await seedAlarm(f.db.pool, 'zb', nh3('zb'), { latching: true, clear: true });
    expect((await get(`/api/v1/alarms/${id}`)).json().state).toBe('latched');
    const r = await post(`/api/v1/alarms/${id}/reset`, { reason: 'checked on site' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ code: 'HW_API_LATCH_RESET_UNAVAILABLE', message: expect.any(String) });
    expect((await get(`/api/v1/alarms/${id}`)).json().state).toBe('latched');
  });
});

describe('KPIs', () => {
  it('computes alarm-management KPIs over the scope and window', async () => {
    const k = (await get(`/api/v1/alarm-kpis?from=${T0}&to=${T0 + 86_400_000}`, 'regulator3704')).json();
    expect(k.window).toEqual({ from: T0, to: T0 + 86_400_000 });
    expect(k.annunciated).toBe(1);
    expect(k.priority.counts.urgent).toBe(1);
    const bad = await get(`/api/v1/alarm-kpis?from=${T0}&to=${T0 + 40 * 86_400_000}`, 'regulator3704');
    expect(bad.json().details).toEqual([{ path: 'query.to', message: 'at most 31 days per request' }]);
  });
});

describe('live stream (SSE)', () => {
  it('streams the scope’s events as SSE frames, resuming after Last-Event-ID', async () => {
    const app = await buildApp({ pool: f.db.pool, log: createLogger({ level: 'silent' }), liveStream: replayOnlyLiveSource(f.db.pool, subscriptions) });
    try {
      const r = await app.inject({ url: '/api/v1/stream', headers: f.auth('regulator3703') });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const frames = r.body.split('\n\n').filter((b) => b.startsWith('id: '));
      expect(frames.length).toBeGreaterThan(3);
      const first = frames[0]?.split('\n') ?? [];
      expect(first[0]).toMatch(/^id: \d+$/);
      expect(first[1]).toMatch(/^event: [a-z_]+$/);
      const event = JSON.parse(first[2]?.slice('data: '.length) ?? '{}');
      expect(event.enterpriseId).toBe('ent-zb');
      expect(r.body).not.toContain('ent-zz');
      expect(subscriptions.at(-1)).toEqual({ scope: { regionPrefix: '3703' }, lastEventId: null });

      const lastSeq = Number(first[0]?.slice(4));
      const resumed = await app.inject({ url: '/api/v1/stream', headers: { ...f.auth('regulator3703'), 'last-event-id': String(lastSeq) } });
      expect(resumed.body).not.toContain(`id: ${lastSeq}\n`);
      expect(subscriptions.at(-1)).toEqual({ scope: { regionPrefix: '3703' }, lastEventId: String(lastSeq) });

      await app.inject({ url: '/api/v1/stream?region=37', headers: f.auth('regulator3703') });
      expect(subscriptions.at(-1)?.scope).toEqual({ regionPrefix: '3703' });
      await app.inject({ url: '/api/v1/stream?region=370321', headers: f.auth('regulator37') });
      expect(subscriptions.at(-1)?.scope).toEqual({ regionPrefix: '370321' });
      expect((await app.inject({ url: '/api/v1/stream?region=3704', headers: f.auth('regulator3703') })).statusCode).toBe(404);
      expect((await app.inject({ url: '/api/v1/stream', headers: f.auth('admin') })).statusCode).toBe(400);
      await app.inject({ url: '/api/v1/stream', headers: f.auth('operatorZb') });
      expect(subscriptions.at(-1)?.scope).toEqual({ enterpriseId: 'ent-zb' });
    } finally {
      await app.close();
    }
  });

  it('answers 503 when no live source is wired', async () => {
    const app = await buildApp({ pool: f.db.pool, log: createLogger({ level: 'silent' }) });
    try {
      const r = await app.inject({ url: '/api/v1/stream', headers: f.auth('operatorZb') });
      expect(r.statusCode).toBe(503);
      expect(r.json().code).toBe('HW_API_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });
});
