import type { AlarmEvent } from '@hazardwatch/contracts';
import {
  enterpriseOfflineStates,
  insertDispatchEvent,
  LOCK_KEYS,
  lastDataPerEnterprise,
  type Pool,
  saveEnterpriseOfflineState,
  tryTransactionLock,
  withTransaction,
} from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { z } from 'zod';
import { DispatchError } from './errors.js';
import type { DispatchMetrics } from './metrics.js';
import { interruptionsPerEnterprise } from './offline-interruptions.js';
import { planOffline } from './offline-plan.js';

/**
 * Share of an enterprise's points watched by interruption rules that must be interrupted for
 * it to count as offline (0 < share ≤ 1; default 1: all of them). No DISPATCH_* variable yet.
 */
export const InterruptedShareSchema = z.number().finite().gt(0, 'interruptedShare must be above 0').max(1, 'interruptedShare must be at most 1');
export const DEFAULT_INTERRUPTED_SHARE = 1;

export interface OfflineDetectorDeps {
  pool: Pool;
  offlineAfterMs: number;
  /** See InterruptedShareSchema; default DEFAULT_INTERRUPTED_SHARE. */
  interruptedShare?: number;
  publish: (events: readonly AlarmEvent[]) => Promise<void>;
  log: Logger;
  metrics: DispatchMetrics;
  now: () => number;
}

/** One replica at a time runs the check. */
const OFFLINE_CHECK_LOCK_KEY = LOCK_KEYS.offlineCheck;

/**
 * The offline check: the newest reading or position of every enterprise against
 * `offlineAfterMs`, and the active interruption alarms of the points its interruption
 * rules watch against `interruptedShare` (offline-plan.ts decides). A change of state
 * and its event (`enterprise_offline` /
 * `enterprise_online`, stored in dispatch_events) commit together, so each episode
 * yields one event of each, whatever crashes; publishing follows the commit (the
 * sweeper fans out an event whose publication was lost).
 */
export function createOfflineDetector(deps: OfflineDetectorDeps): { check(): Promise<AlarmEvent[]> } {
  const share = InterruptedShareSchema.safeParse(deps.interruptedShare ?? DEFAULT_INTERRUPTED_SHARE);
  if (!share.success) throw new DispatchError('HW_DISPATCH_BAD_OPTION', `offlineInterruptedShare: ${share.error.issues[0]?.message ?? 'invalid'}`);
  const policy = { offlineAfterMs: deps.offlineAfterMs, interruptedShare: share.data };
  return {
    async check() {
      const now = deps.now();
      const events = await withTransaction(deps.pool, async (c) => {
        if (!(await tryTransactionLock(c, OFFLINE_CHECK_LOCK_KEY))) return [];
        const changes = planOffline(await lastDataPerEnterprise(c), await enterpriseOfflineStates(c), now, policy, await interruptionsPerEnterprise(c));
        const out: AlarmEvent[] = [];
        for (const ch of changes) {
          out.push(await insertDispatchEvent(c, ch.event));
          await saveEnterpriseOfflineState(c, ch.state);
        }
        return out;
      });
      for (const e of events) {
        deps.metrics.offline.inc({ type: e.type });
        deps.log.warn(
          { enterpriseId: e.enterpriseId, eventId: e.id, type: e.type },
          e.type === 'enterprise_offline' ? 'enterprise offline' : 'enterprise back online',
        );
      }
      await deps.publish(events);
      return events;
    },
  };
}
