import { toIsoString } from '@hazardwatch/alarms';
import type { DispatchEventDraft, EnterpriseLastData, EnterpriseOfflineState } from '@hazardwatch/db';

/** One enterprise whose offline state changes, and the event that says so. */
export type OfflineChange = { state: EnterpriseOfflineState; event: DispatchEventDraft };

/** The pseudo alarm id offline/online events of an enterprise share (so they stay in order per target). */
export const offlineAlarmId = (enterpriseId: string): string => `enterprise-offline/${enterpriseId}`;

/** The interruption side of an enterprise: the points its enabled interruption rules watch, and which of them are interrupted now. */
export interface EnterpriseInterruptions {
  enterpriseId: string;
  /** Distinct points listed by the enterprise's enabled interruption rules (current versions). */
  watched: number;
  /** One entry per watched point in an active interruption alarm: when that alarm was raised (ms), ascending. */
  interruptedSince: readonly number[];
}

export interface OfflinePolicy {
  /** No reading or position for this long: offline. */
  offlineAfterMs: number;
  /** Share of the watched points (0 < share ≤ 1) that must be in an active interruption alarm: offline. 1 = all of them. */
  interruptedShare: number;
}

/** Why an enterprise counts as offline at one check, or null when it does not. */
type Cause = { kind: 'silence'; since: number; silentMs: number } | { kind: 'interruptions'; since: number; interrupted: number; watched: number } | null;

function causeOf(e: EnterpriseLastData, i: EnterpriseInterruptions | undefined, now: number, p: OfflinePolicy): Cause {
  // Silence wins when both hold: it covers every device, and its start (the newest data) is the earlier fact.
  if (e.lastDataAt !== null && now - e.lastDataAt >= p.offlineAfterMs) return { kind: 'silence', since: e.lastDataAt, silentMs: now - e.lastDataAt };
  if (!i || i.watched === 0) return null;
  // At least one point, and the share rounded up: with share 1 every watched point must be interrupted.
  const needed = Math.max(1, Math.ceil(p.interruptedShare * i.watched - 1e-9));
  if (i.interruptedSince.length < needed) return null;
  // The moment the share was reached: the raise of the needed-th interrupted point.
  return { kind: 'interruptions', since: i.interruptedSince[needed - 1] ?? now, interrupted: i.interruptedSince.length, watched: i.watched };
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10} %`;

/**
 * Which enterprises went offline or came back (pure). An enterprise is offline while
 * either holds:
 * - silence: its newest reading or position is `offlineAfterMs` old or older (an enterprise
 *   that never sent anything is not silent: there is no data that stopped — a registration
 *   without devices would otherwise alarm forever);
 * - interruptions: at least `interruptedShare` of the points its enabled interruption rules
 *   watch are in an active interruption alarm (its devices stopped, as the rules define it —
 *   usually long before the silence limit).
 * One `enterprise_offline` per episode whichever cause starts it (or both), one
 * `enterprise_online` when neither holds any more.
 */
export function planOffline(
  lastData: readonly EnterpriseLastData[],
  states: ReadonlyMap<string, EnterpriseOfflineState>,
  now: number,
  policy: OfflinePolicy,
  interruptions: ReadonlyMap<string, EnterpriseInterruptions> = new Map(),
): OfflineChange[] {
  const changes: OfflineChange[] = [];
  for (const e of lastData) {
    const st = states.get(e.enterpriseId) ?? { enterpriseId: e.enterpriseId, offline: false, episode: 0, lastDataAt: null, offlineSince: null };
    const cause = causeOf(e, interruptions.get(e.enterpriseId), now, policy);
    if ((cause !== null) === st.offline) continue;
    const base = {
      alarmId: offlineAlarmId(e.enterpriseId),
      at: now,
      actor: 'system',
      enterpriseId: e.enterpriseId,
      regionCode: e.regionCode,
      hazardSourceId: null,
      vehicleId: null,
      ruleId: null,
      subject: `enterprise:${e.enterpriseId}`,
      category: 'offline' as const,
      colour: null,
      level: null,
    };
    if (cause !== null) {
      const episode = st.episode + 1;
      const sinceIso = toIsoString(cause.since);
      const text =
        cause.kind === 'silence'
          ? {
              value: Math.round(cause.silentMs / 1000),
              reason: `no data for ${Math.round(cause.silentMs / 1000)} s (limit ${Math.round(policy.offlineAfterMs / 1000)} s)`,
              message: `${e.name}: no data since ${sinceIso}`,
            }
          : {
              value: cause.interrupted,
              reason: `${cause.interrupted} of ${cause.watched} points with interruption rules interrupted (limit ${pct(policy.interruptedShare)})`,
              message: `${e.name}: data interrupted at ${cause.interrupted} of ${cause.watched} monitored points since ${sinceIso}`,
            };
      changes.push({
        state: { enterpriseId: e.enterpriseId, offline: true, episode, lastDataAt: e.lastDataAt, offlineSince: cause.since },
        event: {
          ...base,
          id: `${offlineAlarmId(e.enterpriseId)}/${episode}/offline`,
          type: 'enterprise_offline',
          stateBefore: 'normal',
          stateAfter: 'active_unacknowledged',
          value: text.value,
          reason: text.reason,
          message: text.message.slice(0, 500),
        },
      });
      continue;
    }
    // The episode ended when data came back: the newest data time when it is newer than the start, else now
    // (interruption rules disabled or alarms cleared without new data).
    const since = st.offlineSince;
    const end = e.lastDataAt !== null && since !== null && e.lastDataAt >= since ? e.lastDataAt : now;
    const offlineS = since === null ? null : Math.round((end - since) / 1000);
    changes.push({
      state: { enterpriseId: e.enterpriseId, offline: false, episode: st.episode, lastDataAt: e.lastDataAt, offlineSince: null },
      event: {
        ...base,
        id: `${offlineAlarmId(e.enterpriseId)}/${st.episode}/online`,
        type: 'enterprise_online',
        stateBefore: 'active_unacknowledged',
        stateAfter: 'normal',
        value: offlineS,
        reason: offlineS === null ? null : `data back after ${offlineS} s`,
        message: `${e.name}: data flowing again${e.lastDataAt === null ? '' : ` (newest ${toIsoString(e.lastDataAt)})`}`.slice(0, 500),
      },
    });
  }
  return changes;
}
