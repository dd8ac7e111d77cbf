import { describe, expect, it } from 'vitest';
import { dispatchSettings, loadDispatchSettings } from './config.js';
import { alarmEventJobId, deliveryJobId } from './job-ids.js';

// The DISPATCH_* variables themselves are tested with the schema: packages/config/src/load-config.test.ts.
describe('dispatch settings', () => {
  it('are the DISPATCH_* part of the one configuration, with overrides for tests', () => {
    expect(loadDispatchSettings({ DISPATCH_RETRY_BASE_MS: '200', EVAL_PARTITIONS: 'ignored here' }).retry.baseMs).toBe(200);
    const s = dispatchSettings({ sweepMs: 100 });
    expect(s.sweepMs).toBe(100);
    expect(s.lockMs).toBe(30_000);
    expect(Object.isFrozen(s)).toBe(true);
  });
});

describe('job ids', () => {
  it('are ids BullMQ accepts: ae-<seq> for events, one per chain for deliveries', () => {
    expect(alarmEventJobId({ seq: 42 })).toBe('ae-42');
    expect(deliveryJobId({ id: 7, chain: 1 })).toBe('delivery-7');
    expect(deliveryJobId({ id: 7, chain: 3 })).toBe('delivery-7-r3');
  });
});
