import { z } from 'zod';

/** Machine-readable reasons a message was refused; stored with the raw payload. */
export const DeadLetterReasonSchema = z.enum([
  'bad_topic',
  'payload_too_large',
  'malformed_json',
  'schema_violation',
  'unknown_device',
  'unknown_vehicle',
  'enterprise_mismatch',
  'unknown_channel',
  'out_of_range',
  'timestamp_in_future',
  'timestamp_too_old',
  /** The database refused the rows themselves (not an outage); kept here so the batch goes on. */
  'storage_rejected',
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReasonSchema>;
