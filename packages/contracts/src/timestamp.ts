import { z } from 'zod';

/** Smallest and largest epoch milliseconds accepted anywhere (2000-01-01 .. 2100-01-01). */
export const MIN_EPOCH_MS = 946_684_800_000;
export const MAX_EPOCH_MS = 4_102_444_800_000;

/**
 * A device timestamp: epoch milliseconds or an ISO-8601 string with a zone,
 * normalised to epoch milliseconds. Whether it is too far in the future is
 * decided by ingest, which knows the time.
 */
export const TimestampSchema = z
  .union([z.number().int().min(MIN_EPOCH_MS).max(MAX_EPOCH_MS), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))])
  .pipe(z.number().int().min(MIN_EPOCH_MS).max(MAX_EPOCH_MS));
