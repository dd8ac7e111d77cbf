import { HazardError } from '@hazardwatch/observability';

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
  HW_API_UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many failed authentications from this address, or too many expensive queries from this key. */
  HW_API_RATE_LIMITED: 429,
  HW_API_INTERNAL: 500,
  /** A dependency (database, Redis, broker) is unreachable; retry later. */
  HW_API_UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An error the API answers with as `{ code, message, details? }` and the code's HTTP status. */
export class ApiError extends HazardError {
  readonly statusCode: number;
  constructor(
    override readonly code: ApiErrorCode,
    message: string,
    readonly details?: ReadonlyArray<{ path: string; message: string }>,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.statusCode = API_ERRORS[code];
  }
}

export const notFound = (what: string): ApiError => new ApiError('HW_API_NOT_FOUND', `${what} not found`);
export const forbidden = (why: string): ApiError => new ApiError('HW_API_FORBIDDEN', why);
export const invalid = (path: string, message: string): ApiError => new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path, message }]);
