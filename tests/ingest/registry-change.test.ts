import { countDeadLettersByReason, countReadings } from '@hazardwatch/db';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';

describe('ingest: a registry edit takes effect for the next message, not after the cache lifetime', () => {
  let s: IngestStack;
  beforeAll(async () => {
    s = await startIngestStack(smallPlant('ent-edit'));
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('stores a channel added a moment after the device was cached (the change notification reloads it)', async () => {
    const topic = `${s.topicPrefix}hw/v1/ent-edit/ent-edit-gas1/telemetry`;
    const now = Date.now();
    // Cached: the device as it was, with lel and valve only.
    expect(await publishAll(s.broker.url, [{ topic, payload: JSON.stringify({ ts: now - 3000, values: { lel: 1 } }) }])).toBe(1);
    await waitFor(async () => (await countReadings(s.db.pool)) >= 1, { what: 'first reading' });
    const added = await s.db.pool.query<{ id: number }>(
      `INSERT INTO measuring_points (device_id, channel, hazard_source_id, kind, unit, range_min, range_max)
       SELECT id, 'h2s', 'ent-edit-unit', 'toxic_gas', 'ppm', 0, 100 FROM devices WHERE id = 'ent-edit-gas1' RETURNING id`,
    );
    const h2s = added.rows[0]?.id as number;
    // The notification is delivered at commit; give it a moment to reach ingest's listener.
    await new Promise((r) => setTimeout(r, 300));
    expect(await publishAll(s.broker.url, [{ topic, payload: JSON.stringify({ ts: now - 2000, values: { lel: 2, h2s: 7.5 } }) }])).toBe(1);
    await waitFor(async () => (await countReadings(s.db.pool, { pointIds: [h2s] })) === 1, { what: 'the new channel stored' });
    expect((await countDeadLettersByReason(s.db.pool)).unknown_channel ?? 0).toBe(0);
  });
});
