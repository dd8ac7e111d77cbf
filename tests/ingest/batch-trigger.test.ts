import { countReadings } from '@hazardwatch/db';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';

describe('ingest: a batch is written as soon as every connection is waiting', () => {
  let s: IngestStack;
  const CONNECTIONS = 4;
  beforeAll(async () => {
    // A batch age bound far beyond the test, and a row bound nothing reaches: only the
    // "every connection holds a message" trigger can write these rows in time.
    s = await startIngestStack(smallPlant('ent-trig'), { connections: CONNECTIONS, batchMaxRows: 100_000, batchMaxWaitMs: 60_000 });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('commits without waiting out the batch age when each connection holds an unacknowledged message', async () => {
    const now = Date.now();
    const messages = Array.from({ length: CONNECTIONS * 3 }, (_, i) => ({
      topic: `${s.topicPrefix}hw/v1/ent-trig/ent-trig-gas2/telemetry`,
      payload: JSON.stringify({ ts: now - 10_000 + i, values: { lel: i } }),
    }));
    const started = Date.now();
    expect(await publishAll(s.broker.url, messages, { connections: 1, window: 1 })).toBe(messages.length);
    await waitFor(async () => (await countReadings(s.db.pool)) >= messages.length, { what: 'all readings', timeoutMs: 30_000 });
    // Far below the 60 s batch age: the batches were written because they were full of waiting connections.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await countReadings(s.db.pool)).toBe(messages.length);
  });
});
