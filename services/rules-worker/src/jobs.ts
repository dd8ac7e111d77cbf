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

/** Job name of a latch reset requested by a person (through the API). */
export const RESET_JOB_NAME = 'reset';

/**
 * A person resets a latched alarm (GB/T 50493 §5.5, GB 16808). It runs in the rule's partition
 * queue, in order with its evaluations, because the latch lives in two places that must agree:
 * the engine's state (Redis, this worker) and the alarm row. `eventId` is the idempotency key
 * of the request (the reset event's id); `requestedAt` is the time the reset is judged at.
 */
export const ResetJobSchema = z.object({
  v: z.literal(1),
  ruleId: z.string().min(1),
  subject: z.string().min(1),
  eventId: z.string().min(1).max(200),
  actor: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000).optional(),
  requestedAt: z.number().int(),
});
export type ResetJob = z.infer<typeof ResetJobSchema>;

/** Outcome of a reset job (its BullMQ return value). */
export const ResetOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), alarmId: z.string().nullable(), eventIds: z.array(z.string()) }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type ResetOutcome = z.infer<typeof ResetOutcomeSchema>;

/** Job id of a reset request: BullMQ ids may not contain `:`, event ids may. */
export function resetJobId(eventId: string): string {
  return `reset-${Buffer.from(eventId).toString('base64url')}`;
}
