import type { AlarmEvent, DispatchTargetView } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { deliveriesFor, mayAwaitAcknowledgement } from './fan-out-plan.js';

const event: AlarmEvent = {
  id: 'tr-1',
  seq: 42,
  alarmId: 'a-1',
  type: 'raised',
  at: 1_700_000_000_000,
  actor: 'engine',
  enterpriseId: 'e1',
  regionCode: '370321',
  hazardSourceId: null,
  vehicleId: null,
  ruleId: 'gas',
  subject: 'point:1',
  category: 'process',
  colour: 'orange',
  level: 'L1',
  stateBefore: null,
  stateAfter: 'active_unacknowledged',
  value: 27.5,
  reason: null,
  message: 'gas',
};
const target = (id: string, scope: DispatchTargetView['scope'], over: Partial<DispatchTargetView> = {}): DispatchTargetView => ({
  id,
  name: id,
  url: 'https://example.test/hook',
  allowInsecureHttp: false,
  scope,
  minColour: 'blue',
  eventTypes: ['raised', 'escalated'],
  enabled: true,
  ...over,
});
const targets = [
  target('room', { enterpriseId: 'e1' }),
  target('county', { regionPrefix: '370321' }),
  target('city', { regionPrefix: '3703' }),
  target('province', { regionPrefix: '37' }),
  target('tengzhou', { regionPrefix: '3704' }),
  target('red-only', { regionPrefix: '37' }, { minColour: 'red' }),
  target('off', { regionPrefix: '37' }, { enabled: false }),
];

describe('deliveriesFor', () => {
  it('one delivery per matching target, every one with the same serialised v1 body', () => {
    const ds = deliveriesFor(event, targets, undefined);
    expect(ds.map((d) => d.targetId)).toEqual(['room', 'county', 'city', 'province']);
    expect(new Set(ds.map((d) => d.body)).size).toBe(1);
    expect(JSON.parse(ds[0]?.body ?? '')).toMatchObject({ specVersion: '1', id: 'tr-1', seq: 42, escalation: null });
  });

  it('an escalated event reaches only the tiers its notice tells', () => {
    const esc = { ...event, id: 'a-1:escalation:1:2.0', type: 'escalated' as const };
    const notice = {
      eventId: esc.id,
      alarmId: 'a-1',
      tier: 'city' as const,
      stage: 2,
      reminder: 0,
      kind: 'escalation' as const,
      tellTiers: ['county' as const, 'city' as const],
    };
    const ds = deliveriesFor(esc, targets, notice);
    expect(ds.map((d) => d.targetId)).toEqual(['county', 'city']);
    expect(JSON.parse(ds[0]?.body ?? '').escalation).toEqual({ tier: 'city', stage: 2, reminder: 0, kind: 'escalation' });
  });

  it('which events may start an unacknowledged episode', () => {
    expect(mayAwaitAcknowledgement(event)).toBe(true);
    expect(mayAwaitAcknowledgement({ ...event, type: 'acknowledged', stateAfter: 'active_acknowledged' })).toBe(false);
    expect(mayAwaitAcknowledgement({ ...event, type: 'escalated' })).toBe(false);
  });
});
