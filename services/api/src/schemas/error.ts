import { z } from 'zod';
import { ALARM_CODES_IN_ANSWERS, API_ERRORS, LATCH_RESET_ERRORS, type ResponseCode } from '../errors.js';

const codes = [...Object.keys(API_ERRORS), ...ALARM_CODES_IN_ANSWERS, ...Object.keys(LATCH_RESET_ERRORS)] as [ResponseCode, ...ResponseCode[]];

/** The one error body of every route. */
export const ErrorBodySchema = z
  .object({
    code: z.enum(codes).describe('stable error code (see the API README)'),
    message: z.string(),
    details: z
      .array(z.object({ path: z.string().describe('where: body.name, query.from, params.id, …'), message: z.string() }))
      .optional()
      .describe('one entry per validation issue'),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Error responses every authenticated route may give. */
export const AUTHED_ERRORS = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  429: ErrorBodySchema,
} as const;

/** …plus 409 for routes that create or delete. */
export const WRITE_ERRORS = { ...AUTHED_ERRORS, 409: ErrorBodySchema } as const;
