import { createLogger } from '@hazardwatch/observability';
import { describe, expect, it } from 'vitest';
import { RulesWorkerError } from './errors.js';
import { isTransient, type RetryContext, untilDone } from './retry.js';

const log = createLogger({ level: 'silent' });
const ctx = (signal = new AbortController().signal): RetryContext & { retries: string[] } => {
  const retries: string[] = [];
  return { signal, log, minMs: 1, maxMs: 4, maxPermanentAttempts: 3, onRetry: (s) => retries.push(s), retries };
};
const econnrefused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('untilDone', () => {
  it('retries an outage for as long as it lasts', async () => {
    let calls = 0;
    const c = ctx();
    const v = await untilDone(
      'db',
      async () => {
        if (++calls < 10) throw econnrefused();
        return 'ok';
      },
      c,
    );
    expect(v).toBe('ok');
    expect(c.retries).toHaveLength(9);
  });

  it('gives up on an error retrying cannot fix after a few attempts', async () => {
    let calls = 0;
    const bug = async () => {
      calls++;
      throw new TypeError('x is undefined');
    };
    await expect(untilDone('db', bug, ctx())).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(3);
    expect(isTransient(Object.assign(new Error('unique'), { code: '23505' }))).toBe(false);
    expect(isTransient(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe(true);
  });

  it('stops retrying when the worker stops', async () => {
    const abort = new AbortController();
    const run = untilDone(
      'db',
      async () => {
        throw econnrefused();
      },
      ctx(abort.signal),
    );
    setTimeout(() => abort.abort(), 20);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RulesWorkerError);
    expect((err as RulesWorkerError).code).toBe('HW_RULES_WORKER_STOPPING');
  });
});
