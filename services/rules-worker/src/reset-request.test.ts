import { createServer } from 'node:net';
import { createRedis } from '@hazardwatch/queue';
import { afterAll, describe, expect, it } from 'vitest';
import { RulesWorkerErrorCode } from './errors.js';
import { requestLatchReset } from './reset-request.js';

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

describe('requestLatchReset while Redis is unreachable', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it('fails as unavailable in time, and leaves no error unhandled', async () => {
    const port = await closedPort();
    const connection = createRedis(`redis://127.0.0.1:${port}`, { lazyConnect: true });
    const started = Date.now();
    const err = await requestLatchReset(
      { connection, prefix: 'hw-test-reset-down', partitions: 4, timeoutMs: 500 },
      { partitionKey: 'hs:1', ruleId: 'r1', subject: 'hs:1', eventId: 'reset-1', actor: 'op', requestedAt: started },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: RulesWorkerErrorCode.ResetUnavailable });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Give stray emitters a moment to misbehave before looking.
    await new Promise((r) => setTimeout(r, 300));
    expect(unhandled.map((e) => (e instanceof Error ? e.stack : String(e)))).toEqual([]);
    connection.disconnect();
  });
});
