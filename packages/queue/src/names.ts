/** Queue names. Keys live under the configured BullMQ prefix (`QUEUE_PREFIX`), so tests isolate by prefix. */
export const QueueNames = {
  /** `evaluate-0` … `evaluate-{n-1}`: one per partition, processed one job at a time across the pool. */
  evaluate: (partition: number): string => `evaluate-${partition}`,
  /** Alarm events to deliver (dispatch). */
  alarmEvents: 'alarm-events',
  /** One job per (event, target) delivery attempt chain. */
  deliveries: 'deliveries',
  /** Escalation timers of unacknowledged alarms. */
  escalations: 'escalations',
} as const;

/** Redis pub/sub channel of live alarm events (and latest values), under the prefix. */
export const liveChannel = (prefix: string): string => `${prefix}:live`;
