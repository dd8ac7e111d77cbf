import { counter, histogram } from '@hazardwatch/observability';

/** The worker's Prometheus metrics (process-wide registry of @hazardwatch/observability). */
export function rulesWorkerMetrics() {
  return {
    jobs: counter('hazardwatch_rules_jobs_total', 'Partition jobs handled, by type (evaluate, tick) and outcome', ['type', 'outcome']),
    readings: counter('hazardwatch_rules_readings_evaluated_total', 'Readings and positions handed to rules (after de-duplication)'),
    skipped: counter('hazardwatch_rules_inputs_skipped_total', 'Readings and positions skipped as already evaluated (redelivered messages, re-run jobs)'),
    late: counter(
      'hazardwatch_rules_inputs_late_total',
      'Readings and positions skipped as older than the newest evaluated of their point / vehicle, never evaluated: by reason (late: certainly; late_or_redelivered: older than the remembered window, cannot tell)',
      ['reason'],
    ),
    evaluations: counter('hazardwatch_rules_evaluations_total', 'Rule evaluations, by trigger (data, tick)', ['trigger']),
    transitions: counter('hazardwatch_rules_transitions_total', 'Alarm transitions decided by the engine, by kind', ['kind']),
    events: counter('hazardwatch_rules_alarm_events_total', 'Alarm events committed by the worker, by type', ['type']),
    refusals: counter('hazardwatch_rules_transition_refusals_total', 'Transitions the alarm store refused, by code', ['code']),
    engineErrors: counter('hazardwatch_rules_engine_errors_total', 'Rule evaluations that threw (the rule is skipped for the job)'),
    retries: counter('hazardwatch_rules_retries_total', 'Retries inside a job, by stage', ['stage']),
    jobSeconds: histogram(
      'hazardwatch_rules_job_seconds',
      'Time to handle one partition job',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ['type'],
    ),
    lagSeconds: histogram(
      'hazardwatch_rules_lag_seconds',
      'From the ingest commit of a batch (committedAt) to the end of its evaluation',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    ),
  };
}
export type RulesWorkerMetrics = ReturnType<typeof rulesWorkerMetrics>;
