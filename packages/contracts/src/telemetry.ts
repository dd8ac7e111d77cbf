import { z } from 'zod';
import { ChannelSchema } from './ids.js';
import { TimestampSchema } from './timestamp.js';

export const QualitySchema = z.enum(['good', 'fault', 'maintenance']);
export type Quality = z.infer<typeof QualitySchema>;

/** Most channels one sample may carry (bounds the work a single message can cause). */
export const MAX_CHANNELS_PER_SAMPLE = 256;
/** Most samples one telemetry message may carry. */
export const MAX_SAMPLES_PER_MESSAGE = 1000;

export const TelemetrySampleSchema = z
  .object({
    ts: TimestampSchema,
    seq: z.number().int().nonnegative().optional(),
    values: z
      .record(ChannelSchema, z.union([z.number().finite(), z.boolean()]))
      .refine((v) => Object.keys(v).length > 0, 'values must hold at least one channel')
      .refine((v) => Object.keys(v).length <= MAX_CHANNELS_PER_SAMPLE, `at most ${MAX_CHANNELS_PER_SAMPLE} channels per sample`),
    quality: z.record(ChannelSchema, QualitySchema).optional(),
  })
  .strict();
export type TelemetrySample = z.infer<typeof TelemetrySampleSchema>;

/** `…/telemetry`: one sample or an array of samples. Normalised to an array. */
export const TelemetryPayloadSchema = z
  .union([TelemetrySampleSchema, z.array(TelemetrySampleSchema).min(1).max(MAX_SAMPLES_PER_MESSAGE)])
  .transform((p) => (Array.isArray(p) ? p : [p]));
export type TelemetryPayload = z.infer<typeof TelemetryPayloadSchema>;
