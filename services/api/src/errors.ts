import { ALARM_ERROR_CODES, type AlarmErrorCode } from '@hazardwatch/alarms';
import { HazardError } from '@hazardwatch/observability';
import { RuleErrorCode } from '@hazardwatch/rules';
import { RulesWorkerErrorCode } from '@hazardwatch/rules-worker';

/**
 * Every error code the API answers with, and its HTTP status: the one registry
 * (clients branch on `code`, never on `message`). Errors of other packages are
 * translated to these in `error-handler.ts`.
 */
export const API_ERRORS = {
  /** A body, query, path parameter or header failed its schema; `details` lists each issue. */
  HW_API_VALIDATION: 400,
  /** The body is not parseable (bad JSON, wrong encoding). */
  HW_API_MALFORMED_BODY: 400,
  /** No API key, or one that is unknown, expired or revoked. */
  HW_API_UNAUTHENTICATED: 401,
  /** The key's role may not do this (independent of which record). */
  HW_API_FORBIDDEN: 403,
  /** No such record, or one outside the caller's scope (the two are not told apart). */
  HW_API_NOT_FOUND: 404,
  /** The record exists already, or is still referenced (alarm history). */
  HW_API_CONFLICT: 409,
  HW_API_PAYLOAD_TOO_LARGE: 413,
  /** A rule backtest whose range holds more stored readings or positions than one backtest may read; shorten the range. */
  HW_API_BACKTEST_TOO_LARGE: 413,
  HW_API_UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many failed authentications from this address, or too many expensive queries from this key. */
  HW_API_RATE_LIMITED: 429,
  HW_API_INTERNAL: 500,
  /** A dependency (database, Redis, broker) is unreachable; retry later. */
  HW_API_UNAVAILABLE: 503,
  /** A reset of a rule's latched alarm, but this API is not connected to the rules worker's queues (`latchReset` deps). */
  HW_API_LATCH_RESET_UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * A reset of a rule's latched alarm is decided by the rules worker, in order with the readings
 * (the engine's latch and the alarm row change together): its refusals keep the engine's and the
 * worker's own codes. A timeout means the request is still queued and will run: asking again with
 * the same `Idempotency-Key` tells its outcome.
 */
export const LATCH_RESET_ERRORS = {
  [RuleErrorCode.ResetConditionActive]: 409,
  [RuleErrorCode.ResetConditionUnknown]: 409,
  [RuleErrorCode.ResetNothingLatched]: 409,
  [RulesWorkerErrorCode.ResetRuleUnknown]: 409,
  [RulesWorkerErrorCode.ResetTimeout]: 503,
  [RulesWorkerErrorCode.ResetUnavailable]: 503,
} as const;
export type LatchResetErrorCode = keyof typeof LATCH_RESET_ERRORS;

/** Refusals of the alarm state machine that are about the request itself (400); the others are 409. */
const ALARM_INPUT_CODES: ReadonlySet<AlarmErrorCode> = new Set(['HW_ALARM_SHELVE_DURATION_INVALID', 'HW_ALARM_REASON_REQUIRED']);

/**
 * The alarm actions answer with the alarm package's own codes (`HW_ALARM_ALREADY_ACKNOWLEDGED`,
 * …): 404 for HW_ALARM_NOT_FOUND, 400 for a bad input, 409 for an action that does not fit the
 * alarm's state.
 */
export const ALARM_CODES_IN_ANSWERS = ALARM_ERROR_CODES.filter((c) => c.startsWith('HW_ALARM_'));
export type ResponseCode = ApiErrorCode | AlarmErrorCode | LatchResetErrorCode;

export function isLatchResetErrorCode(code: string): code is LatchResetErrorCode {
  return code in LATCH_RESET_ERRORS;
}

export function statusOf(code: ResponseCode): number {
  if (code in API_ERRORS) return API_ERRORS[code as ApiErrorCode];
  if (isLatchResetErrorCode(code)) return LATCH_RESET_ERRORS[code];
  if (code === 'HW_ALARM_NOT_FOUND') return 404;
  return ALARM_INPUT_CODES.has(code as AlarmErrorCode) ? 400 : 409;
}

/** An error the API answers with as `{ code, message, details? }` and the code's HTTP status. */
export class ApiError extends HazardError {
  readonly statusCode: number;
  constructor(
    override readonly code: ResponseCode,
    message: string,
    readonly details?: ReadonlyArray<{ path: string; message: string }>,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.statusCode = statusOf(code);
  }
}

export const notFound = (what: string): ApiError => new ApiError('HW_API_NOT_FOUND', `${what} not found`);
export const forbidden = (why: string): ApiError => new ApiError('HW_API_FORBIDDEN', why);
export const invalid = (path: string, message: string): ApiError => new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path, message }]);
