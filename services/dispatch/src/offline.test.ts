import type { Pool } from '@hazardwatch/db';
import { createLogger } from '@hazardwatch/observability';
import { describe, expect, it } from 'vitest';
import { dispatchMetrics } from './metrics.js';
import { createOfflineDetector } from './offline.js';

describe('createOfflineDetector', () => {
  // The share is checked when the detector is made, before any database work (the pool is never used here).
  const make = (interruptedShare: number | undefined) => () =>
    createOfflineDetector({
      pool: {} as Pool,
      offlineAfterMs: 600_000,
      interruptedShare,
      publish: async () => undefined,
      log: createLogger({ level: 'silent', name: 'offline-test' }),
      metrics: dispatchMetrics(),
      now: Date.now,
    });
  it.each([0, -0.5, 1.5, Number.NaN])('refuses an interrupted share of %s with a stable code', (share) => {
    expect(make(share)).toThrow(expect.objectContaining({ code: 'HW_DISPATCH_BAD_OPTION' }));
  });
  it.each([undefined, 1, 0.5, 0.01])('accepts %s', (share) => {
    expect(make(share)).not.toThrow();
  });
});
