import { MAX_EPOCH_MS, MIN_EPOCH_MS } from '@hazardwatch/contracts';
import { z } from 'zod';

/** A time in a query string: epoch milliseconds or ISO-8601 with a zone. */
export const QueryTimeSchema = z
  .union([z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)), z.coerce.number().int()])
  .pipe(z.number().int().min(MIN_EPOCH_MS).max(MAX_EPOCH_MS))
  .describe('epoch milliseconds or ISO-8601 with a zone');

/** `from`/`to` of a range query: [from, to), to after from. */
export const TimeRangeQuerySchema = z
  .object({ from: QueryTimeSchema, to: QueryTimeSchema })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });
