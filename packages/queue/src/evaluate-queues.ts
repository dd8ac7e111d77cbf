import { type EvaluateJob, EvaluateJobSchema } from '@hazardwatch/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueNames } from './names.js';

export interface EvaluateProducer {
  readonly partitions: number;
  /** Enqueue one job per partition of a committed batch; the job id is the batch id, so a retry is a no-op. */
  enqueue(jobs: EvaluateJob[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Evaluate jobs stay until a worker takes them; completed ones are trimmed.
 * Failed jobs are kept for inspection (a poison job is a bug to look at).
 */
export const EVALUATE_JOB_OPTIONS = {
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 10_000 },
} as const;

export function createEvaluateProducer(opts: { connection: Redis; prefix: string; partitions: number }): EvaluateProducer {
  const queues = Array.from({ length: opts.partitions }, (_, n) => new Queue(QueueNames.evaluate(n), { connection: opts.connection, prefix: opts.prefix }));
  return {
    partitions: opts.partitions,
    async enqueue(jobs) {
      await Promise.all(
        jobs.map((job) => {
          const q = queues[job.partition];
          if (!q) throw new RangeError(`partition ${job.partition} out of range 0..${opts.partitions - 1}`);
          return q.add('evaluate', EvaluateJobSchema.parse(job), { ...EVALUATE_JOB_OPTIONS, jobId: job.batchId });
        }),
      );
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
