import { countReadings } from '@hazardwatch/db';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';
import { telemetryStream } from '../support/stream.js';

describe('ingest: broker restart', () => {
  let s: IngestStack;
  beforeAll(async () => {
    s = await startIngestStack(smallPlant('ent-brk'), { connections: 16 });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('reconnects by itself to its persistent sessions and keeps storing', async () => {
    const { stream, readings } = telemetryStream(s.topicPrefix, 'ent-brk', 2000, Date.now() - 3_600_000);
    const half = stream.length / 2;
    expect(await publishAll(s.broker.url, stream.slice(0, half))).toBe(half);
    await s.broker.stop();
    await waitFor(() => s.ingest.brokerConnections() === 0, { what: 'ingest notices the broker is gone' });
    await s.broker.restart();
    await waitFor(() => s.ingest.brokerConnections() === 16, { what: 'ingest reconnects', timeoutMs: 20_000 });
    // Mosquitto 2.0.11 does not route to a restored shared subscription until its member
    // reconnects (docs/architecture.md, "Broker limits"), so devices publish once ingest is back.
    expect(await publishAll(s.broker.url, stream.slice(half))).toBe(stream.length - half);
    await waitFor(async () => (await countReadings(s.db.pool)) >= readings, { what: `all ${readings} readings`, timeoutMs: 60_000 });
    expect(await countReadings(s.db.pool)).toBe(readings);
  });
});
