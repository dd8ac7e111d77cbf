import { type AlarmEvent, WebhookBodySchema } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { toWebhookBodyV1 } from './webhook-body.js';

const event: AlarmEvent = {
  id: 'tr-42',
  seq: 1042,
  alarmId: 'a-7',
  type: 'raised',
  at: 1_700_000_000_123,
  actor: 'engine',
  enterpriseId: 'e1',
  regionCode: '370321',
  hazardSourceId: 'hs-1',
  vehicleId: null,
  ruleId: 'gas-lel',
  subject: 'point:12',
  category: 'process',
  colour: 'orange',
  level: 'L1',
  stateBefore: null,
  stateAfter: 'active_unacknowledged',
  value: 27.5,
  reason: null,
  message: 'combustible gas 27.5 %LEL at GT-101',
};

describe('toWebhookBodyV1', () => {
  it('builds the documented v1 body, which the contract accepts', () => {
    const body = toWebhookBodyV1(event);
    expect(body).toEqual({
      specVersion: '1',
      id: 'tr-42',
      seq: 1042,
      type: 'raised',
      occurredAt: '2023-11-14T22:13:20.123Z',
      enterpriseId: 'e1',
      regionCode: '370321',
      actor: 'engine',
      reason: null,
      alarm: {
        id: 'a-7',
        ruleId: 'gas-lel',
        subject: 'point:12',
        category: 'process',
        colour: 'orange',
        priority: 'high',
        severity: 3,
        level: 'L1',
        state: 'active_unacknowledged',
        previousState: null,
        value: 27.5,
        message: 'combustible gas 27.5 %LEL at GT-101',
        hazardSourceId: 'hs-1',
        vehicleId: null,
      },
      escalation: null,
    });
    expect(WebhookBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });

  it('carries the escalation step and tolerates a colourless event', () => {
    const body = toWebhookBodyV1({ ...event, type: 'escalated', colour: null, actor: 'system' }, { tier: 'county', stage: 1, reminder: 0, kind: 'escalation' });
    expect(body.alarm).toMatchObject({ colour: null, priority: null, severity: null });
    expect(body.escalation).toEqual({ tier: 'county', stage: 1, reminder: 0, kind: 'escalation' });
    expect(WebhookBodySchema.safeParse(body).success).toBe(true);
  });

  it('a receiver ignores fields added later within v1', () => {
    const future = { ...toWebhookBodyV1(event), somethingNew: 1 };
    expect(WebhookBodySchema.safeParse(future).success).toBe(true);
    expect(WebhookBodySchema.safeParse({ ...future, specVersion: '2' }).success).toBe(false);
  });
});
