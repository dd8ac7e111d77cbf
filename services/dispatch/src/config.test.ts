import { describe, expect, it } from 'vitest';
import { DispatchConfigError, loadDispatchSettings } from './config.js';
import { alarmEventJobId, deliveryJobId } from './job-ids.js';

describe('loadDispatchSettings', () => {
  it('defaults, and an escalation policy as JSON with regional overrides', () => {
    const s = loadDispatchSettings({
      DISPATCH_RETRY_BASE_MS: '200',
      DISPATCH_ESCALATION_POLICY: JSON.stringify({ regions: [{ regionPrefix: '37', source: 'notice', colours: { red: { escalateAfterMs: 180000 } } }] }),
      OTHER: 'ignored',
    });
    expect(s.retry).toMatchObject({ baseMs: 200, maxMs: 300_000, maxAttempts: 15 });
    expect(s.escalationPolicy.regions[0]?.regionPrefix).toBe('37');
    expect(s.escalationPolicy.defaults.orange.escalateAfterMs).toBe(900_000);
    expect(s.offlineAfterMs).toBe(600_000);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('names every wrong variable', () => {
    try {
      loadDispatchSettings({ DISPATCH_ESCALATION_POLICY: '{nope', DISPATCH_SECRET_KEY: 'short', DISPATCH_REQUEST_TIMEOUT_MS: '5' });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(DispatchConfigError);
      const issues = (err as DispatchConfigError).issues.join('\n');
      expect(issues).toContain('DISPATCH_ESCALATION_POLICY');
      expect(issues).toContain('DISPATCH_SECRET_KEY');
      expect(issues).toContain('DISPATCH_REQUEST_TIMEOUT_MS');
      expect(issues).not.toContain('short');
    }
  });
});

describe('job ids', () => {
  it('are ids BullMQ accepts: ae-<seq> for events, one per chain for deliveries', () => {
    expect(alarmEventJobId({ seq: 42 })).toBe('ae-42');
    expect(deliveryJobId({ id: 7, chain: 1 })).toBe('delivery-7');
    expect(deliveryJobId({ id: 7, chain: 3 })).toBe('delivery-7-r3');
  });
});
