import type { AlarmInput } from '@hazardwatch/alarms';
import type { AlarmTransition } from '@hazardwatch/contracts';
import {
  type AlarmInputItem,
  applyAlarmInputs,
  applySiteFile,
  getAlarm,
  getOpenAlarm,
  latestAlarmEventSeq,
  listAlarmEvents,
  listAlarms,
  listDueShelveExpiries,
  listEventsAfter,
  nextShelveExpiry,
} from '@hazardwatch/db';
import { evaluateRule, instantiatePreset, type RuleState, resetLatch } from '@hazardwatch/rules';
import { createTestDatabase, type TestDatabase } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallPlant } from '../support/sites.js';

const T0 = 1_700_000_000_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ timescale: 'off' });
  await applySiteFile(db.pool, smallPlant('ent-a', '370321'));
  await applySiteFile(db.pool, smallPlant('ent-b', '370481'));
});
afterAll(async () => {
  await db?.drop();
});

function transition(over: Partial<AlarmTransition> & Pick<AlarmTransition, 'ruleId' | 'subject' | 'kind' | 'at'>): AlarmTransition {
  const level = over.kind === 'clear' ? null : (over.level ?? 'H');
  return {
    id: `${over.ruleId}:1:${over.subject}:${over.at}:${over.kind}:${level ?? '-'}`,
    ruleVersion: 1,
    enterpriseId: 'ent-a',
    hazardSourceId: 'ent-a-unit',
    vehicleId: null,
    pointIds: [1],
    category: 'process',
    level,
    colour: over.kind === 'clear' ? null : 'orange',
    latching: false,
    value: 30,
    message: 'test',
    ...over,
  };
}

const item = (t: AlarmTransition): AlarmInputItem => ({ key: { ruleId: t.ruleId, subject: t.subject }, input: { type: 'transition', transition: t } });

describe('alarms.repo applyAlarmInputs', () => {
  it('stores the same transitions once however often they are applied', async () => {
    const raise = transition({ ruleId: 'r-dup', subject: 'point:1', kind: 'raise', at: T0, level: 'H' });
    const level = transition({ ruleId: 'r-dup', subject: 'point:1', kind: 'level', at: T0 + 1000, level: 'HH', colour: 'red' });
    const first = await applyAlarmInputs(db.pool, [item(raise), item(level)], T0 + 2000);
    expect(first.results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(first.events.map((e) => e.type)).toEqual(['raised', 'level_changed']);
    expect(first.events[0]?.regionCode).toBe('370321');
    expect(first.events[1]?.seq).toBeGreaterThan(first.events[0]?.seq ?? Number.POSITIVE_INFINITY);

    // A retried job: the same transitions again, then again concurrently.
    const again = await applyAlarmInputs(db.pool, [item(raise), item(level)], T0 + 3000);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.events).toEqual([]);
    expect(again.duplicateEvents.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => applyAlarmInputs(db.pool, [item(raise), item(level)], T0 + 4000)));
    for (const c of concurrent) expect(c.events).toEqual([]);

    const page = await listAlarms(db.pool, { ruleId: 'r-dup' });
    expect(page.items).toHaveLength(1);
    const alarm = page.items[0];
    expect(alarm).toMatchObject({ state: 'active_unacknowledged', level: 'HH', colour: 'red', version: 2, raisedAt: T0 });
    const events = await listAlarmEvents(db.pool, alarm?.id ?? '');
    expect(events.map((e) => e.id)).toEqual([raise.id, level.id]);
  });

  it('makes one alarm when new transitions of one subject race', async () => {
    const raise = transition({ ruleId: 'r-race', subject: 'point:2', kind: 'raise', at: T0 });
    const runs = await Promise.all(Array.from({ length: 5 }, () => applyAlarmInputs(db.pool, [item(raise)], T0)));
    expect(runs.flatMap((r) => r.events)).toHaveLength(1);
    expect((await listAlarms(db.pool, { ruleId: 'r-race' })).items).toHaveLength(1);
  });

  it('lets exactly one of two concurrent acknowledgements through', async () => {
    const raise = transition({ ruleId: 'r-ack', subject: 'point:3', kind: 'raise', at: T0 });
    const created = await applyAlarmInputs(db.pool, [item(raise)], T0);
    const alarmId = created.events[0]?.alarmId ?? '';
    const ack = (who: string): AlarmInputItem => ({ key: { alarmId }, input: { type: 'acknowledge', eventId: `ack-${who}`, actor: who } });
    const [a, b] = await Promise.all([applyAlarmInputs(db.pool, [ack('alice')], T0 + 5000), applyAlarmInputs(db.pool, [ack('bob')], T0 + 5001)]);
    const outcomes = [a, b].map((r) => r.results[0]);
    expect(outcomes.filter((o) => o?.status === 'applied')).toHaveLength(1);
    const refused = outcomes.find((o) => o?.status === 'refused');
    expect(refused).toMatchObject({ status: 'refused', code: 'HW_ALARM_ALREADY_ACKNOWLEDGED' });
    const events = await listAlarmEvents(db.pool, alarmId);
    expect(events.map((e) => e.type)).toEqual(['raised', 'acknowledged']);
    const alarm = await getAlarm(db.pool, alarmId);
    expect(alarm).toMatchObject({ state: 'active_acknowledged', version: 2 });

    // The winner's request retried: its event comes back as a duplicate, nothing new.
    const winner = events[1]?.actor ?? '';
    const retried = await applyAlarmInputs(db.pool, [ack(winner)], T0 + 9000);
    expect(retried.results[0]?.status).toBe('duplicate');
  });

  it('closes an alarm, opens a new one on the next raise, refuses unknown enterprises', async () => {
    const subject = 'point:4';
    const r1 = transition({ ruleId: 'r-cycle', subject, kind: 'raise', at: T0 });
    const c1 = transition({ ruleId: 'r-cycle', subject, kind: 'clear', at: T0 + 10 });
    const out = await applyAlarmInputs(db.pool, [item(r1), item(c1)], T0 + 20);
    const alarmId = out.events[0]?.alarmId ?? '';
    expect((await getAlarm(db.pool, alarmId))?.state).toBe('rtn_unacknowledged');
    await applyAlarmInputs(db.pool, [{ key: { alarmId }, input: { type: 'acknowledge', eventId: 'cycle-ack', actor: 'op' } }], T0 + 30);
    expect(await getOpenAlarm(db.pool, 'r-cycle', subject)).toBeNull();
    expect((await listAlarms(db.pool, { ruleId: 'r-cycle', open: false })).items).toHaveLength(1);
    const r2 = transition({ ruleId: 'r-cycle', subject, kind: 'raise', at: T0 + 40 });
    const second = await applyAlarmInputs(db.pool, [item(r2), item(transition({ ruleId: 'r-cycle', subject, kind: 'clear', at: T0 + 50 }))], T0 + 60);
    expect(second.events[0]?.alarmId).not.toBe(alarmId);
    expect((await listAlarms(db.pool, { ruleId: 'r-cycle' })).items).toHaveLength(2);

    const clearNothing = await applyAlarmInputs(db.pool, [item(transition({ ruleId: 'r-none', subject, kind: 'clear', at: T0 }))], T0);
    expect(clearNothing.refusals).toEqual([{ index: 0, code: 'HW_ALARM_NOT_FOUND', message: expect.any(String) }]);
    const stranger = await applyAlarmInputs(db.pool, [item(transition({ ruleId: 'r-x', subject, kind: 'raise', at: T0, enterpriseId: 'nobody' }))], T0);
    expect(stranger.refusals[0]?.code).toBe('HW_DB_ALARM_ENTERPRISE_NOT_FOUND');
  });

  it('keeps a latching gas alarm as one alarm: latched when the gas goes, active when it comes back, closed by the reset', async () => {
    // The engine's own transitions (gas-combustible preset), applied as the rules worker does.
    const gas = instantiatePreset('gas-combustible', { ruleId: 'r-gas', enterpriseId: 'ent-a', hazardSourceId: 'ent-a-unit', pointId: 1 });
    const subject = 'point:1';
    let state: RuleState | undefined;
    const feed = async (atMs: number, value: number) => {
      const res = evaluateRule(gas, state, { readings: [{ pointId: 1, ts: T0 + atMs, value, quality: 'good' }], positions: [] }, T0 + atMs);
      state = res.state;
      const out = await applyAlarmInputs(db.pool, res.transitions.map(item), T0 + atMs);
      expect(out.refusals).toEqual([]);
      return out;
    };
    const resetAt = async (atMs: number, eventId: string) => {
      const decided = resetLatch(gas, state, T0 + atMs, { subject });
      if (!decided.ok) return decided.code;
      const items: AlarmInputItem[] = [...decided.transitions.map(item), { key: { ruleId: 'r-gas', subject }, input: { type: 'reset', eventId, actor: 'op' } }];
      const out = await applyAlarmInputs(db.pool, items, T0 + atMs, { requireApplied: [items.length - 1] });
      expect(out.refusals).toEqual([]);
      state = decided.state;
      return out.events.map((e) => `${e.type}:${e.stateAfter}`);
    };

    await feed(0, 26);
    await feed(1000, 55);
    const alarmId = (await getOpenAlarm(db.pool, 'r-gas', subject))?.id;
    await feed(2000, 0);
    expect(await getOpenAlarm(db.pool, 'r-gas', subject)).toMatchObject({ id: alarmId, state: 'latched', conditionActive: false, level: 'SECOND' });
    // Back before the reset: the same alarm, active again (a new acknowledgement is due), no second alarm.
    const back = await feed(3000, 30);
    expect(back.events.map((e) => [e.type, e.stateBefore, e.stateAfter, e.alarmId])).toEqual([['raised', 'latched', 'active_unacknowledged', alarmId]]);
    expect(await resetAt(3500, 'gas-reset-early')).toBe('HW_RULES_RESET_CONDITION_ACTIVE');
    await feed(4000, 0);
    expect(await resetAt(5000, 'gas-reset')).toEqual(['reset:normal']);
    expect(await getOpenAlarm(db.pool, 'r-gas', subject)).toBeNull();
    expect((await listAlarms(db.pool, { ruleId: 'r-gas', open: false })).items.map((a) => a.id)).toEqual([alarmId]);
    expect((await listAlarmEvents(db.pool, alarmId ?? '')).map((e) => `${e.type}:${e.stateAfter}`)).toEqual([
      'raised:active_unacknowledged',
      'level_changed:active_unacknowledged',
      'returned_to_normal:latched',
      'raised:active_unacknowledged',
      'returned_to_normal:latched',
      'reset:normal',
    ]);
  });

  it('shelves, lists due expiries, expires once', async () => {
    const raise = transition({ ruleId: 'r-shelf', subject: 'point:5', kind: 'raise', at: T0 });
    const alarmId = (await applyAlarmInputs(db.pool, [item(raise)], T0)).events[0]?.alarmId ?? '';
    const shelve: AlarmInput = { type: 'shelve', eventId: 'shelf-1', actor: 'op', durationMs: 60_000, reason: 'maintenance' };
    await applyAlarmInputs(db.pool, [{ key: { alarmId }, input: shelve }], T0 + 1000);
    expect(await nextShelveExpiry(db.pool)).toBe(T0 + 61_000);
    expect(await listDueShelveExpiries(db.pool, T0 + 60_000)).toEqual([]);
    const due = await listDueShelveExpiries(db.pool, T0 + 61_000);
    expect(due.map((a) => a.id)).toEqual([alarmId]);
    const expiry: AlarmInputItem = { key: { alarmId }, input: { type: 'shelve_expiry' } };
    const [x, y] = await Promise.all([applyAlarmInputs(db.pool, [expiry], T0 + 61_000), applyAlarmInputs(db.pool, [expiry], T0 + 61_001)]);
    expect([...x.events, ...y.events].map((e) => e.type)).toEqual(['shelve_expired']);
    expect((await getAlarm(db.pool, alarmId))?.state).toBe('active_unacknowledged');
  });

  it('replays events after a seq by enterprise or region, and pages alarms by cursor', async () => {
    const before = await latestAlarmEventSeq(db.pool);
    const a = transition({ ruleId: 'r-scope', subject: 'point:6', kind: 'raise', at: T0 + 100 });
    const b = transition({ ruleId: 'r-scope', subject: 'point:7', kind: 'raise', at: T0 + 200, enterpriseId: 'ent-b', hazardSourceId: 'ent-b-unit' });
    await applyAlarmInputs(db.pool, [item(a), item(b)], T0 + 300);
    expect((await listEventsAfter(db.pool, { afterSeq: before })).map((e) => e.id)).toEqual([a.id, b.id]);
    expect((await listEventsAfter(db.pool, { afterSeq: before, regionPrefix: '3704' })).map((e) => e.id)).toEqual([b.id]);
    expect((await listEventsAfter(db.pool, { afterSeq: before, enterpriseIds: ['ent-a'] })).map((e) => e.id)).toEqual([a.id]);
    expect((await listAlarms(db.pool, { regionPrefix: '3704' })).items.map((x) => x.subject)).toEqual(['point:7']);

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listAlarms>> = await listAlarms(db.pool, { enterpriseIds: ['ent-a'] }, { limit: 2, cursor });
      all.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    const everything = await listAlarms(db.pool, { enterpriseIds: ['ent-a'] }, { limit: 1000 });
    expect(all).toEqual(everything.items.map((x) => x.id));
    expect(new Set(all).size).toBe(all.length);
    expect((await listAlarms(db.pool, { colours: ['red'], open: true })).items.every((x) => x.colour === 'red')).toBe(true);
  });
});
