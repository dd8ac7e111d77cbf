import { type EvaluateJob, EvaluateJobSchema } from '@hazardwatch/contracts';
import { QueueNames, type Redis } from '@hazardwatch/queue';
import { Queue } from 'bullmq';

/** Every evaluate job waiting in every partition queue (tests read them instead of running workers). */
export async function readEvaluateJobs(redis: Redis, prefix: string, partitions: number): Promise<EvaluateJob[]> {
  const out: EvaluateJob[] = [];
  for (let n = 0; n < partitions; n++) {
    const q = new Queue(QueueNames.evaluate(n), { connection: redis, prefix });
    const jobs = await q.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'], 0, -1, true);
    for (const j of jobs) out.push(EvaluateJobSchema.parse(j.data));
    await q.close();
  }
  return out;
}
