import { toIsoString } from '@hazardwatch/alarms';
import type { DispatchEventDraft, EnterpriseLastData, EnterpriseOfflineState } from '@hazardwatch/db';

/** One enterprise whose offline state changes, and the event that says so. */
export type OfflineChange = { state: EnterpriseOfflineState; event: DispatchEventDraft };

/** The pseudo alarm id offline/online events of an enterprise share (so they stay in order per target). */
export const offlineAlarmId = (enterpriseId: string): string => `enterprise-offline/${enterpriseId}`;

/**
 * Which enterprises went offline or came back (pure). An enterprise is offline when its
 * newest reading or position is `offlineAfterMs` old or older; one `enterprise_offline`
 * per episode, one `enterprise_online` when data flows again. An enterprise that never
 * sent anything is not offline: there is no data that stopped (a registration without
 * devices would otherwise alarm forever).
 */
export function planOffline(
  lastData: readonly EnterpriseLastData[],
  states: ReadonlyMap<string, EnterpriseOfflineState>,
  now: number,
  offlineAfterMs: number,
): OfflineChange[] {
  const changes: OfflineChange[] = [];
  for (const e of lastData) {
    if (e.lastDataAt === null) continue;
    const st = states.get(e.enterpriseId) ?? { enterpriseId: e.enterpriseId, offline: false, episode: 0, lastDataAt: null, offlineSince: null };
    const silentMs = now - e.lastDataAt;
    const silent = silentMs >= offlineAfterMs;
    if (silent === st.offline) continue;
    const episode = silent ? st.episode + 1 : st.episode;
    const since = toIsoString(e.lastDataAt);
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
    changes.push(
      silent
        ? {
            state: { enterpriseId: e.enterpriseId, offline: true, episode, lastDataAt: e.lastDataAt, offlineSince: e.lastDataAt },
            event: {
              ...base,
              id: `${offlineAlarmId(e.enterpriseId)}/${episode}/offline`,
              type: 'enterprise_offline',
              stateBefore: 'normal',
              stateAfter: 'active_unacknowledged',
              value: Math.round(silentMs / 1000),
              reason: `no data for ${Math.round(silentMs / 1000)} s (limit ${Math.round(offlineAfterMs / 1000)} s)`,
              message: `${e.name}: no data since ${since}`.slice(0, 500),
            },
          }
        : {
            state: { enterpriseId: e.enterpriseId, offline: false, episode, lastDataAt: e.lastDataAt, offlineSince: null },
            event: {
              ...base,
              id: `${offlineAlarmId(e.enterpriseId)}/${episode}/online`,
              type: 'enterprise_online',
              stateBefore: 'active_unacknowledged',
              stateAfter: 'normal',
              value: st.offlineSince === null ? null : Math.round((e.lastDataAt - st.offlineSince) / 1000),
              reason: st.offlineSince === null ? null : `data back after ${Math.round((e.lastDataAt - st.offlineSince) / 1000)} s`,
              message: `${e.name}: data flowing again (newest ${since})`.slice(0, 500),
            },
          },
    );
  }
  return changes;
}
