import { EscalationPolicySchema } from '@hazardwatch/alarms';
import type { Alarm } from '@hazardwatch/contracts';
import type { EscalationTimer } from '@hazardwatch/db';
import { describe, expect, it } from 'vitest';
import { planEscalation } from './escalation-plan.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;
const policy = EscalationPolicySchema.parse({});
const where = { regionCode: '370321', inPark: false };

function alarm(over: Partial<Alarm> = {}): Alarm {
  return {
    id: 'a-1',
    ruleId: 'gas-lel',
    subject: 'point:1',
    enterpriseId: 'e1',
    hazardSourceId: 'hs-1',
    vehicleId: null,
    category: 'process',
    state: 'active_unacknowledged',
    conditionActive: true,
    latching: false,
    colour: 'orange',
    level: 'L1',
    value: 27.5,
    message: 'gas',
    raisedAt: T0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    unacknowledgedSince: T0,
    clearedAt: null,
    shelvedUntil: null,
    version: 1,
    ...over,
  };
}
const fresh: EscalationTimer = { alarmId: 'a-1', episodeSince: null, lastKey: null, lastStage: 0, nextDueAt: T0 };

describe('planEscalation (orange: 15 min per tier, house defaults)', () => {
  it('waits until the first step is due, and says when', () => {
    const p = planEscalation(fresh, alarm(), where, policy, T0 + MIN);
    expect(p).toEqual({ kind: 'wait', timer: { alarmId: 'a-1', episodeSince: T0, lastKey: null, lastStage: 0, nextDueAt: T0 + 15 * MIN } });
  });

  it('escalates to the county at 15 min with a deterministic event id, once', () => {
    const p = planEscalation(fresh, alarm(), where, policy, T0 + 15 * MIN + 5);
    if (p.kind !== 'send') throw new Error(p.kind);
    expect(p.notice).toEqual({
      eventId: `a-1:escalation:${T0}:1.0`,
      alarmId: 'a-1',
      tier: 'county',
      stage: 1,
      reminder: 0,
      kind: 'escalation',
      tellTiers: ['county'],
    });
    expect(p.event).toMatchObject({ id: p.notice.eventId, type: 'escalated', actor: 'system', colour: 'orange', stateBefore: 'active_unacknowledged' });
    expect(p.timer).toEqual({ alarmId: 'a-1', episodeSince: T0, lastKey: '1.0', lastStage: 1, nextDueAt: T0 + 30 * MIN });
    // Due again (an event touched the timer) but nothing new: no second send.
    expect(planEscalation(p.timer, alarm(), where, policy, T0 + 16 * MIN).kind).toBe('wait');
  });

  it('after an outage past two stages, tells every tier it skipped in one event', () => {
    const p = planEscalation(fresh, alarm(), where, policy, T0 + 31 * MIN);
    if (p.kind !== 'send') throw new Error(p.kind);
    expect(p.notice).toMatchObject({ tier: 'city', stage: 2, kind: 'escalation', tellTiers: ['county', 'city'] });
  });

  it('reminds the tier told last only', () => {
    const toProvince = { ...fresh, episodeSince: T0, lastKey: '3.0', lastStage: 3 };
    const p = planEscalation(toProvince, alarm(), where, policy, T0 + 61 * MIN);
    if (p.kind !== 'send') throw new Error(p.kind);
    expect(p.notice).toMatchObject({ tier: 'province', stage: 3, reminder: 1, kind: 'reminder', tellTiers: ['province'] });
  });

  it('drops the timer once acknowledged, hidden or gone', () => {
    expect(
      planEscalation(fresh, alarm({ state: 'active_acknowledged', acknowledgedAt: T0 + 1, unacknowledgedSince: null }), where, policy, T0 + 20 * MIN),
    ).toEqual({
      kind: 'drop',
    });
    expect(planEscalation(fresh, alarm({ state: 'shelved', shelvedUntil: T0 + 60 * MIN }), where, policy, T0 + 20 * MIN)).toEqual({ kind: 'drop' });
    expect(planEscalation(fresh, null, where, policy, T0)).toEqual({ kind: 'drop' });
    expect(planEscalation(fresh, alarm(), undefined, policy, T0)).toEqual({ kind: 'drop' });
  });

  it('a new unacknowledged episode starts the schedule afresh', () => {
    const sentLastEpisode = { ...fresh, episodeSince: T0, lastKey: '2.0', lastStage: 2 };
    const again = alarm({ unacknowledgedSince: T0 + 60 * MIN });
    const p = planEscalation(sentLastEpisode, again, where, policy, T0 + 75 * MIN + 1);
    if (p.kind !== 'send') throw new Error(p.kind);
    expect(p.notice).toMatchObject({ eventId: `a-1:escalation:${T0 + 60 * MIN}:1.0`, tier: 'county', tellTiers: ['county'] });
  });

  it('blue stays with the enterprise: hourly reminders to the control room', () => {
    const p = planEscalation(fresh, alarm({ colour: 'blue' }), where, policy, T0 + 61 * MIN);
    if (p.kind !== 'send') throw new Error(p.kind);
    expect(p.notice).toMatchObject({ tier: 'enterprise', stage: 0, reminder: 1, kind: 'reminder', tellTiers: ['enterprise'] });
  });
});
