import { randomUUID } from 'node:crypto';
import type { EscalationPolicy } from '@hazardwatch/alarms';
import type { Alarm, AlarmEvent } from '@hazardwatch/contracts';
import {
  appendAlarmEvents,
  claimDueEscalationTimers,
  deleteEscalationTimer,
  enterpriseJurisdictions,
  getAlarm,
  insertEscalationNotice,
  listAlarms,
  type Pool,
  saveEscalationTimer,
  touchEscalationTimers,
} from '@hazardwatch/db';
import type { Logger } from '@hazardwatch/observability';
import { planEscalation } from './escalation-plan.js';
import type { DispatchMetrics } from './metrics.js';

export interface EscalatorDeps {
  pool: Pool;
  policy: EscalationPolicy;
  /** Publish committed events (alarm-events job + live channel). */
  publish: (events: readonly AlarmEvent[]) => Promise<void>;
  log: Logger;
  metrics: DispatchMetrics;
  now: () => number;
  /** How long a claim holds its timers (a crashed replica's claims are taken again after it). */
  leaseMs?: number;
  batch?: number;
}

export interface Escalator {
  /** Give every open alarm awaiting an acknowledgement a timer (start-up; events missed while away). */
  seed(): Promise<number>;
  /** Handle every due timer once; returns how many were claimed. */
  tick(): Promise<number>;
}

/** How long to wait before trying again a timer whose event could not be appended. */
const APPEND_RETRY_MS = 10_000;

/**
 * Escalation timers as rows polled by due time (escalation_state), not in-memory
 * timers: they survive restarts and are shared by replicas (claims under a lease).
 * A new event of the alarm makes its timer due at once; each due timer re-reads the
 * alarm through the alarm store and `planEscalation` decides. `escalated` events are
 * appended through the alarm store (`appendAlarmEvents`, idempotent by the
 * deterministic `escalationEventId`), with the notice (which tiers) stored first.
 */
export function createEscalator(deps: EscalatorDeps): Escalator {
  const { pool, log, metrics } = deps;
  const leaseMs = deps.leaseMs ?? 60_000;
  const batch = deps.batch ?? 200;

  return {
    async seed() {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof listAlarms>> = await listAlarms(pool, { open: true }, { limit: 1000, cursor });
        for (const a of page.items) if (a.unacknowledgedSince !== null) ids.push(a.id);
        cursor = page.nextCursor;
      } while (cursor !== null);
      await touchEscalationTimers(pool, ids, deps.now());
      return ids.length;
    },

    async tick() {
      const now = deps.now();
      const lease = randomUUID();
      const timers = await claimDueEscalationTimers(pool, { now, leaseMs, lease, limit: batch });
      if (timers.length === 0) return 0;
      const alarms = new Map<string, Alarm | null>();
      for (const t of timers) alarms.set(t.alarmId, await getAlarm(pool, t.alarmId));
      const where = await enterpriseJurisdictions(pool, [...new Set([...alarms.values()].flatMap((a) => (a ? [a.enterpriseId] : [])))]);
      const sent: AlarmEvent[] = [];
      for (const t of timers) {
        const alarm = alarms.get(t.alarmId) ?? null;
        const plan = planEscalation(t, alarm, alarm ? where.get(alarm.enterpriseId) : undefined, deps.policy, now);
        if (plan.kind === 'drop') {
          await deleteEscalationTimer(pool, t.alarmId, lease);
          continue;
        }
        if (plan.kind === 'send') {
          try {
            // The notice first: the event's fan-out reads it to pick the tiers.
            await insertEscalationNotice(pool, plan.notice);
            const r = await appendAlarmEvents(pool, [plan.event]);
            sent.push(...r.events, ...r.duplicateEvents);
            metrics.escalations.inc({ kind: plan.step.kind });
            log.info(
              { alarmId: t.alarmId, eventId: plan.notice.eventId, tiers: plan.notice.tellTiers, kind: plan.step.kind, stage: plan.step.stage },
              'alarm escalated',
            );
          } catch (err) {
            log.error({ err, alarmId: t.alarmId }, 'escalation event could not be appended; trying again later');
            await saveEscalationTimer(pool, { ...t, nextDueAt: now + APPEND_RETRY_MS }, lease);
            continue;
          }
        }
        await saveEscalationTimer(pool, plan.timer, lease);
      }
      await deps.publish(sent);
      return timers.length;
    },
  };
}
