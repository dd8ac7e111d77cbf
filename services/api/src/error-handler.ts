import { AlarmStoreErrorCode, DbErrorCode, RuleStoreError, RuleStoreErrorCode } from '@hazardwatch/db';
import { Gb18218Error } from '@hazardwatch/gb18218';
import { HazardError } from '@hazardwatch/observability';
import { RulesWorkerError, RulesWorkerErrorCode } from '@hazardwatch/rules-worker';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError } from './errors.js';
import type { ErrorBody } from './schemas/error.js';

/** Network failures of pg/ioredis (no SQLSTATE) and SQLSTATE classes that mean "the database is not there now". */
function isOutage(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  if (/^(08|53|57P)/.test(code)) return true;
  return err instanceof Error && /Connection terminated|timeout exceeded when trying to connect/.test(err.message);
}

/** Fields of the backtest body besides the rule document; a reason about anything else is about the rule. */
const BACKTEST_FIELDS = new Set(['from', 'to', 'tickMs']);

/** A backtest reason `path: message` as a detail of the request body (`body.to`, `body.rule.levels.0`). */
function backtestDetail(reason: string): { path: string; message: string } {
  const i = reason.indexOf(': ');
  const path = i >= 0 ? reason.slice(0, i) : '';
  const message = i >= 0 ? reason.slice(i + 2) : reason;
  if (path === '') return { path: 'body', message };
  return { path: BACKTEST_FIELDS.has(path.split('.')[0] ?? '') ? `body.${path}` : `body.rule.${path}`, message };
}

function fastifyCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Translate anything thrown in a request into an ApiError. Messages of errors we do not
 * own are never passed on: they may hold SQL, hosts or stack details.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = 'validationContext' in err && typeof err.validationContext === 'string' ? err.validationContext : 'request';
    const context = where === 'querystring' ? 'query' : where;
    return new ApiError(
      'HW_API_VALIDATION',
      'request is invalid',
      err.validation.map((v) => ({
        path: [context, ...v.instancePath.split('/').filter((s) => s.length > 0)].join('.'),
        message: v.message ?? 'invalid',
      })),
    );
  }
  if (err instanceof Gb18218Error) return new ApiError('HW_API_VALIDATION', err.message, undefined, { cause: err });
  if (err instanceof RuleStoreError) {
    const details = err.reasons.map((r) => {
      const i = r.indexOf(': ');
      return i > 0 ? { path: `body.rule.${r.slice(0, i)}`, message: r.slice(i + 2) } : { path: 'body.rule', message: r };
    });
    if (err.code === RuleStoreErrorCode.NotFound) return new ApiError('HW_API_NOT_FOUND', 'rule not found', undefined, { cause: err });
    if (err.code === RuleStoreErrorCode.Invalid) return new ApiError('HW_API_VALIDATION', err.message, details, { cause: err });
    return new ApiError('HW_API_CONFLICT', err.message, details, { cause: err });
  }
  if (err instanceof RulesWorkerError) {
    if (err.code === RulesWorkerErrorCode.BacktestInvalid)
      return new ApiError('HW_API_VALIDATION', err.message, err.reasons.map(backtestDetail), { cause: err });
    if (err.code === RulesWorkerErrorCode.BacktestTooLarge) return new ApiError('HW_API_BACKTEST_TOO_LARGE', err.message, undefined, { cause: err });
    if (err.code === RulesWorkerErrorCode.ResetTimeout)
      return new ApiError(
        RulesWorkerErrorCode.ResetTimeout,
        'the rules worker did not answer in time; the reset is still queued and will run: ask again with the same Idempotency-Key for its outcome',
        undefined,
        { cause: err },
      );
  }
  if (err instanceof HazardError) {
    if (err.code === DbErrorCode.Conflict || err.code === AlarmStoreErrorCode.Conflict)
      return new ApiError('HW_API_CONFLICT', err.message, undefined, { cause: err });
    if (err.code === DbErrorCode.SiteFileInvalid) return new ApiError('HW_API_VALIDATION', err.message, undefined, { cause: err });
    if (err.code === AlarmStoreErrorCode.BadCursor)
      return new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path: 'query.cursor', message: 'not a cursor this API issued' }], { cause: err });
  }
  if (typeof err === 'object' && err !== null && isResponseSerializationError(err as FastifyError))
    return new ApiError('HW_API_INTERNAL', 'internal error', undefined, { cause: err });
  if (isOutage(err)) return new ApiError('HW_API_UNAVAILABLE', 'a backing service is unavailable; retry later', undefined, { cause: err });
  const status = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  const code = fastifyCode(err);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415)
    return new ApiError('HW_API_UNSUPPORTED_MEDIA_TYPE', 'unsupported content type (send application/json)', undefined, { cause: err });
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413)
    return new ApiError('HW_API_PAYLOAD_TOO_LARGE', 'request body too large', undefined, { cause: err });
  if (status === 404) return new ApiError('HW_API_NOT_FOUND', 'not found', undefined, { cause: err });
  if (status === 429) return new ApiError('HW_API_RATE_LIMITED', 'too many requests; retry later', undefined, { cause: err });
  if (status >= 400 && status < 500)
    return new ApiError('HW_API_MALFORMED_BODY', 'request could not be read (malformed body or headers)', undefined, { cause: err });
  return new ApiError('HW_API_INTERNAL', 'internal error', undefined, { cause: err });
}

export function errorBody(e: ApiError): ErrorBody {
  return e.details && e.details.length > 0 ? { code: e.code, message: e.message, details: [...e.details] } : { code: e.code, message: e.message };
}

/** One error shape for every failure, including unknown routes. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.statusCode >= 500) req.log.error({ err, code: e.code }, 'request failed');
    else req.log.debug({ code: e.code }, 'request refused');
    return reply.status(e.statusCode).send(errorBody(e));
  });
  app.setNotFoundHandler((_req, reply) => reply.status(404).send(errorBody(new ApiError('HW_API_NOT_FOUND', 'no such route'))));
}
