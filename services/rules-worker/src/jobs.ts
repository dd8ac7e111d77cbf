import { z } from 'zod';

/** Job name ingest gives evaluation jobs (one per partition per committed batch). */
export const EVALUATE_JOB_NAME = 'evaluate';
/** Job name of a partition tick. */
export const TICK_JOB_NAME = 'tick';

/**
 * A tick of one partition: time passes with no data, so time-based conditions (delays,
 * interruptions, response timeouts, fatigue) fire. `at` is the tick slot (epoch ms, a multiple
 * of the tick interval), which is also in the job id, so every worker process enqueueing the
 * same slot makes one job, and a retried tick evaluates at the same time.
 */
export const TickJobSchema = z.object({ v: z.literal(1), at: z.number().int() });
export type TickJob = z.infer<typeof TickJobSchema>;

export function tickJobId(at: number): string {
  return `tick-${at}`;
}

/** Ticks are cheap to repeat and worthless once done: keep few. */
export const TICK_JOB_OPTIONS = {
  removeOnComplete: { count: 20 },
  removeOnFail: { count: 100 },
} as const;
