import { HazardError } from '@hazardwatch/contracts';

/**
 * Stable codes of the rule engine's errors and refusals. Callers branch on the code, never
 * on the message. The api maps them to HTTP statuses (refusals of a reset are 409s).
 */
export const RuleErrorCode = {
  /** A latch reset was refused: the alarm condition is still active (or pending). */
  ResetConditionActive: 'HW_RULES_RESET_CONDITION_ACTIVE',
  /** A latch reset was refused: an input is faulty, in maintenance or has never reported, so the condition is unknown. */
  ResetConditionUnknown: 'HW_RULES_RESET_CONDITION_UNKNOWN',
  /** A latch reset found nothing latched to reset. */
  ResetNothingLatched: 'HW_RULES_RESET_NOTHING_LATCHED',
  /** The state passed in belongs to another rule (a caller bug: states are keyed by rule id). */
  StateMismatch: 'HW_RULES_STATE_MISMATCH',
  /** No preset with that id. */
  PresetUnknown: 'HW_RULES_PRESET_UNKNOWN',
  /** Preset parameters failed validation; `details` lists the reasons. */
  PresetParams: 'HW_RULES_PRESET_PARAMS',
  /** Backtest options failed validation (range, tick). */
  BacktestOptions: 'HW_RULES_BACKTEST_OPTIONS',
  /** The engine made no progress in time (an engine bug, never expected). */
  Internal: 'HW_RULES_INTERNAL',
} as const;
export type RuleErrorCode = (typeof RuleErrorCode)[keyof typeof RuleErrorCode];

/** Error thrown by the rule engine; `details` lists reasons (e.g. each invalid preset parameter). */
export class RuleError extends HazardError {
  declare readonly code: RuleErrorCode;
  constructor(
    code: RuleErrorCode,
    message: string,
    readonly details: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
