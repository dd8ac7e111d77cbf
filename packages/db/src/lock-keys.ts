/**
 * Every PostgreSQL advisory lock key hazardwatch takes, in one place: two uses sharing a number
 * would block each other for no reason (the ingest fence once shared the event-order key, so
 * every alarm-event write queued behind ingest commits in flight, and held new ones back).
 * The numbers are arbitrary; they only have to differ from each other.
 */
export const LOCK_KEYS = {
  /** Session lock: serialises concurrent migrators (several replicas starting at once). */
  migration: 7_412_118_218,
  /** Transaction lock: event inserts into alarm_events and dispatch events in commit order, so `seq` order is commit order. */
  eventOrder: 7_412_118_219,
  /** Session lock: the one process refreshing the plain-PostgreSQL rollups. */
  rollupRefresh: 7_412_118_220,
  /** Session lock: the one process applying retention. */
  retentionPrune: 7_412_118_221,
  /** Transaction lock: shared by every ingest commit, exclusive while the rollup refresher raises its watermark. */
  ingestFence: 7_412_118_222,
  /** Transaction lock: one dispatch replica at a time runs the offline check. */
  offlineCheck: 7_412_118_301,
} as const;
