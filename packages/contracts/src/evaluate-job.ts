import { z } from 'zod';
import { PointIdSchema, VehicleIdSchema } from './ids.js';
import { QualitySchema } from './telemetry.js';

/** One committed reading as carried to the rules worker. */
export const JobReadingSchema = z.object({
  pointId: PointIdSchema,
  ts: z.number().int(),
  value: z.number(),
  quality: QualitySchema,
});
export type JobReading = z.infer<typeof JobReadingSchema>;

export const JobPositionSchema = z.object({
  vehicleId: VehicleIdSchema,
  ts: z.number().int(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number(),
  heading: z.number(),
  altitudeM: z.number().nullable(),
  accOn: z.boolean().nullable(),
  alarmFlags: z.number().int().nullable(),
});
export type JobPosition = z.infer<typeof JobPositionSchema>;

export const JobDeviceStatusSchema = z.object({
  deviceId: z.string(),
  enterpriseId: z.string(),
  ts: z.number().int(),
  online: z.boolean(),
});
export type JobDeviceStatus = z.infer<typeof JobDeviceStatusSchema>;

/**
 * An evaluation job: the rows one ingest batch committed for one partition.
 * Readings of one hazard source (positions of one vehicle) always land in the
 * same partition, and within a job they are in arrival order.
 */
export const EvaluateJobSchema = z.object({
  v: z.literal(1),
  partition: z.number().int().nonnegative(),
  /** Unique per ingest batch and partition; also the BullMQ job id, so a re-enqueue is a no-op. */
  batchId: z.string().min(1),
  committedAt: z.number().int(),
  readings: z.array(JobReadingSchema),
  positions: z.array(JobPositionSchema),
  statuses: z.array(JobDeviceStatusSchema).default([]),
});
export type EvaluateJob = z.infer<typeof EvaluateJobSchema>;
