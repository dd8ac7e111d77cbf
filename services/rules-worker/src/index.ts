export { backtestRule, MAX_BACKTEST_ROWS, type RuleBacktestResult } from './backtest.js';
export { RulesWorkerError, RulesWorkerErrorCode } from './errors.js';
export { ALARM_EVENT_JOB_NAME, alarmEventJobId, createEventPublisher, type EventPublisher } from './event-publisher.js';
export {
  EVALUATE_JOB_NAME,
  RESET_JOB_NAME,
  type ResetJob,
  ResetJobSchema,
  type ResetOutcome,
  ResetOutcomeSchema,
  resetJobId,
  TICK_JOB_NAME,
  type TickJob,
  TickJobSchema,
  tickJobId,
} from './jobs.js';
export { requestLatchReset } from './reset-request.js';
export { createRulesWorker, type RulesWorker, type RulesWorkerDeps, rulesWorkerTimings } from './rules-worker.js';
