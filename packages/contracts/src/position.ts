import { z } from 'zod';
import { TimestampSchema } from './timestamp.js';

/** `…/position` of a hazardous-goods vehicle (JT/T 808 0x0200 in JSON form). */
export const PositionPayloadSchema = z
  .object({
    ts: TimestampSchema,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    speedKmh: z.number().min(0).max(300),
    heading: z.number().min(0).max(360),
    altitudeM: z.number().min(-500).max(9000).optional(),
    accOn: z.boolean().optional(),
    /** JT/T 808 alarm DWORD as reported by the terminal. */
    alarmFlags: z.number().int().min(0).max(0xffffffff).optional(),
  })
  .strict();
export type PositionPayload = z.infer<typeof PositionPayloadSchema>;
