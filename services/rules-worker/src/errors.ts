import { HazardError } from '@hazardwatch/observability';

/** Stable codes of the rules worker's errors; branch on them, never on messages. */
export const RulesWorkerErrorCode = {
  /** A job whose payload is not an evaluation or tick job of this partition: dead-lettered (failed), never retried. */
  PoisonJob: 'HW_RULES_WORKER_POISON_JOB',
  /** The worker lost the job's lock while working on it (another worker took it over); nothing more is written. */
  LockLost: 'HW_RULES_WORKER_LOCK_LOST',
  /** The worker is stopping: the job goes back to the head of its queue. */
  Stopping: 'HW_RULES_WORKER_STOPPING',
  /** A latch reset for a rule the worker does not have (deleted, or not yet loaded). */
  ResetRuleUnknown: 'HW_RULES_WORKER_RESET_RULE_UNKNOWN',
  /** A latch reset sent to a partition that does not evaluate that rule and subject. */
  ResetWrongPartition: 'HW_RULES_WORKER_RESET_WRONG_PARTITION',
  /** A latch reset request could not be queued: Redis out of reach (nothing queued; asking again is safe). */
  ResetUnavailable: 'HW_RULES_WORKER_RESET_UNAVAILABLE',
  /** No answer to a latch reset request in time (the job stays queued and will still run). */
  ResetTimeout: 'HW_RULES_WORKER_RESET_TIMEOUT',
  /** A backtest request with an invalid rule document or range; `reasons` say why. */
  BacktestInvalid: 'HW_RULES_WORKER_BACKTEST_INVALID',
  /** The backtest range holds more stored data than one backtest may read. */
  BacktestTooLarge: 'HW_RULES_WORKER_BACKTEST_TOO_LARGE',
} as const;
export type RulesWorkerErrorCode = (typeof RulesWorkerErrorCode)[keyof typeof RulesWorkerErrorCode];

/** The rules worker's error: a code, readable reasons for a 4xx (backtest), the cause for the logs. */
export class RulesWorkerError extends HazardError {
  declare readonly code: RulesWorkerErrorCode;
  constructor(
    code: RulesWorkerErrorCode,
    message: string,
    readonly reasons: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
