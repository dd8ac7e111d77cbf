import { counter, histogram } from '@hazardwatch/observability';

/** Dispatch's metrics, in the process-wide registry (served by the API's /metrics). */
export function dispatchMetrics() {
  return {
    events: counter('hazardwatch_dispatch_events_total', 'Alarm events fanned out, by type', ['type']),
    deliveriesCreated: counter('hazardwatch_dispatch_deliveries_created_total', 'Deliveries created (one per event and matching target)'),
    attempts: counter('hazardwatch_dispatch_attempts_total', 'Delivery attempts, by outcome', ['outcome']),
    attemptSeconds: histogram(
      'hazardwatch_dispatch_attempt_seconds',
      'Latency of one delivery attempt',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    deadLetters: counter('hazardwatch_dispatch_dead_letters_total', 'Deliveries dead-lettered, by reason', ['reason']),
    deferrals: counter('hazardwatch_dispatch_deferrals_total', 'Delivery jobs put back to wait, by why (ordering, capacity)', ['why']),
    escalations: counter('hazardwatch_dispatch_escalations_total', 'Escalated events sent, by kind', ['kind']),
    offline: counter('hazardwatch_dispatch_offline_events_total', 'Enterprise offline/online events, by type', ['type']),
    swept: counter('hazardwatch_dispatch_swept_total', 'Work the sweeper recovered (events without fan-out, deliveries without a job)', ['what']),
    liveDropped: counter('hazardwatch_dispatch_live_ignored_total', 'Live-channel messages that are not alarm events'),
  };
}
export type DispatchMetrics = ReturnType<typeof dispatchMetrics>;
