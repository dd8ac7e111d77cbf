import { counter, gauge, histogram } from '@hazardwatch/observability';

/** Ingest's counters, in the process-wide registry (served by the API's /metrics). */
export function ingestMetrics() {
  return {
    messages: counter('hazardwatch_ingest_messages_total', 'MQTT messages taken by ingest, by family', ['family']),
    readings: counter('hazardwatch_ingest_readings_total', 'Readings committed (new rows; redelivered duplicates excluded)'),
    positions: counter('hazardwatch_ingest_positions_total', 'Vehicle positions committed (new rows)'),
    deadLetters: counter('hazardwatch_ingest_dead_letters_total', 'Messages or parts of messages refused, by reason', ['reason']),
    batches: counter('hazardwatch_ingest_batches_total', 'Batches committed'),
    batchRows: histogram('hazardwatch_ingest_batch_rows', 'Rows per committed batch', [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000]),
    commitSeconds: histogram(
      'hazardwatch_ingest_commit_seconds',
      'Latency of a batch commit',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    enqueueSeconds: histogram(
      'hazardwatch_ingest_enqueue_seconds',
      'Latency of enqueueing a committed batch for evaluation (before its PUBACKs)',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    retries: counter('hazardwatch_ingest_retries_total', 'Commit or enqueue attempts that failed and were retried', ['stage']),
    state: gauge('hazardwatch_ingest_state', 'Ingest state: 0 running, 1 database unavailable, 2 queue unavailable', ['instance']),
    pendingMessages: gauge('hazardwatch_ingest_pending_messages', 'Messages received and not yet acknowledged', ['instance']),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;
