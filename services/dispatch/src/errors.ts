import { HazardError } from '@hazardwatch/observability';

/** Every stable code dispatch produces. Branch on the code, never on the message. */
export const DISPATCH_ERROR_CODES = [
  /** A job whose data does not parse (a producer bug): failed without retry. */
  'HW_DISPATCH_BAD_JOB',
  /** A live-stream subscriber fell too far behind; it should reconnect with Last-Event-ID. */
  'HW_DISPATCH_LIVE_OVERFLOW',
  /** A live-stream scope that is neither an enterprise id nor a 2/4/6-digit region prefix. */
  'HW_DISPATCH_LIVE_BAD_SCOPE',
  /** subscribe() after the live stream was closed. */
  'HW_DISPATCH_LIVE_CLOSED',
  /** An option of createDispatch out of its range (e.g. offlineInterruptedShare not in (0, 1]). */
  'HW_DISPATCH_BAD_OPTION',
] as const;

export type DispatchErrorCode = (typeof DISPATCH_ERROR_CODES)[number];

/** The error of the dispatch service. */
export class DispatchError extends HazardError {
  declare readonly code: DispatchErrorCode;

  // biome-ignore lint/complexity/noUselessConstructor: it narrows `code` to this service's codes
  constructor(code: DispatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
