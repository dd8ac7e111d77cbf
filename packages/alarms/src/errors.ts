import { HazardError } from '@hazardwatch/observability';

/**
 * Every stable code this package produces. The API maps them to HTTP statuses
 * (refusals of the state machine are 409 Conflict, except NOT_FOUND 404 and the
 * input checks 400). Branch on the code, never on the message.
 */
export const ALARM_ERROR_CODES = [
  // state machine: the input does not fit the alarm
  'HW_ALARM_NOT_FOUND',
  'HW_ALARM_CLOSED',
  'HW_ALARM_SUBJECT_MISMATCH',
  'HW_ALARM_ALREADY_ACTIVE',
  'HW_ALARM_ALREADY_CLEAR',
  'HW_ALARM_ALREADY_ACKNOWLEDGED',
  'HW_ALARM_SHELVED',
  'HW_ALARM_ALREADY_SHELVED',
  'HW_ALARM_NOT_SHELVED',
  'HW_ALARM_SHELVE_NOT_DUE',
  'HW_ALARM_NOT_LATCHING',
  'HW_ALARM_RESET_CONDITION_ACTIVE',
  'HW_ALARM_SUPPRESSED',
  'HW_ALARM_ALREADY_SUPPRESSED',
  'HW_ALARM_NOT_SUPPRESSED',
  'HW_ALARM_OUT_OF_SERVICE',
  'HW_ALARM_ALREADY_OUT_OF_SERVICE',
  'HW_ALARM_NOT_OUT_OF_SERVICE',
  // state machine: the input itself is bad
  'HW_ALARM_SHELVE_DURATION_INVALID',
  'HW_ALARM_REASON_REQUIRED',
  // KPIs
  'HW_KPI_BAD_WINDOW',
  // dispatch and escalation
  'HW_DISPATCH_BAD_REGION_CODE',
  'HW_DISPATCH_BAD_ATTEMPT',
  // webhook signature verification (returned by verifyWebhookSignature, not thrown)
  'HW_WEBHOOK_SIGNATURE_MALFORMED',
  'HW_WEBHOOK_SIGNATURE_MISMATCH',
  'HW_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
] as const;

/** One of {@link ALARM_ERROR_CODES}. */
export type AlarmErrorCode = (typeof ALARM_ERROR_CODES)[number];

/** The error of this package: a refusal of the state machine, a bad window, a bad region code. */
export class AlarmError extends HazardError {
  declare readonly code: AlarmErrorCode;

  // biome-ignore lint/complexity/noUselessConstructor: it narrows `code` to this package's codes
  constructor(code: AlarmErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
