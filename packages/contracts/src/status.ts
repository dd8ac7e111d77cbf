import { z } from 'zod';
import { TimestampSchema } from './timestamp.js';

/** `…/status`, retained; the device's last will publishes `{ "online": false }`. */
export const StatusPayloadSchema = z
  .object({
    online: z.boolean(),
    ts: TimestampSchema.optional(),
    firmware: z.string().max(64).optional(),
    batteryPct: z.number().min(0).max(100).optional(),
    signalDbm: z.number().min(-150).max(0).optional(),
  })
  .strict();
export type StatusPayload = z.infer<typeof StatusPayloadSchema>;
