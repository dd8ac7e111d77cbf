import { countDeadLettersByReason, countReadings, listDeadLetters } from '@hazardwatch/db';
import { waitFor } from '@hazardwatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvaluateJobs } from '../support/evaluate-jobs.js';
import { type IngestStack, startIngestStack } from '../support/ingest-stack.js';
import { type OutMessage, publishAll } from '../support/publish.js';
import { smallPlant } from '../support/sites.js';

describe('ingest: a mixed stream of good and bad input', () => {
  let s: IngestStack;
  beforeAll(async () => {
    s = await startIngestStack(smallPlant('ent-mix'));
    await startIngestStack(smallPlant('ent-other', '370400')).then((other) => other.dispose());
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('stores every good message and dead-letters each bad one with its reason', async () => {
    // The other enterprise's registry lives in this database too, to test the mismatch.
    const { applySiteFile } = await import('@hazardwatch/db');
    await applySiteFile(s.db.pool, smallPlant('ent-other', '370400'));
    const p = s.topicPrefix;
    const now = Date.now();
    const t = (ent: string, dev: string, fam: string) => `${p}hw/v1/${ent}/${dev}/${fam}`;
    const good: OutMessage[] = [];
    for (let i = 0; i < 200; i++) {
      good.push({
        topic: t('ent-mix', 'ent-mix-gas1', 'telemetry'),
        payload: JSON.stringify({ ts: now - 200_000 + i * 1000, values: { lel: i % 20, valve: i % 2 === 0 } }),
      });
    }
    // An array of samples with ISO timestamps.
    good.push({
      topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'),
      payload: JSON.stringify([
        { ts: new Date(now - 5000).toISOString(), values: { lel: 3 } },
        { ts: new Date(now - 4000).toISOString(), values: { lel: 4 }, quality: { lel: 'maintenance' } },
      ]),
    });
    good.push({
      topic: t('ent-mix', 'ent-mix-truck1', 'position'),
      payload: JSON.stringify({ ts: now - 1000, lat: 36.8, lon: 118.05, speedKmh: 62, heading: 90 }),
    });
    good.push({ topic: t('ent-mix', 'ent-mix-gas1', 'status'), payload: JSON.stringify({ online: true, firmware: '1.2' }) });

    const bad: Array<OutMessage & { reason: string }> = [
      { reason: 'bad_topic', topic: `${p}hw/v1/ent-mix/telemetry`, payload: '{}' },
      { reason: 'bad_topic', topic: t('ent-mix', 'ent-mix-gas1', 'weather'), payload: '{}' },
      { reason: 'malformed_json', topic: t('ent-mix', 'ent-mix-gas1', 'telemetry'), payload: '{"ts": 1, "values": {' },
      { reason: 'malformed_json', topic: t('ent-mix', 'ent-mix-gas1', 'telemetry'), payload: Buffer.from([0xff, 0xfe, 0x00]) },
      { reason: 'schema_violation', topic: t('ent-mix', 'ent-mix-gas1', 'telemetry'), payload: JSON.stringify({ ts: now, values: {} }) },
      { reason: 'schema_violation', topic: t('ent-mix', 'ent-mix-gas1', 'telemetry'), payload: JSON.stringify({ ts: now, values: { lel: 'high' } }) },
      {
        reason: 'schema_violation',
        topic: t('ent-mix', 'ent-mix-truck1', 'position'),
        payload: JSON.stringify({ ts: now, lat: 95, lon: 118, speedKmh: 10, heading: 0 }),
      },
      { reason: 'unknown_device', topic: t('ent-mix', 'ghost-9', 'telemetry'), payload: JSON.stringify({ ts: now, values: { lel: 1 } }) },
      {
        reason: 'unknown_vehicle',
        topic: t('ent-mix', 'ghost-truck', 'position'),
        payload: JSON.stringify({ ts: now, lat: 36, lon: 118, speedKmh: 10, heading: 0 }),
      },
      { reason: 'enterprise_mismatch', topic: t('ent-mix', 'ent-other-gas1', 'telemetry'), payload: JSON.stringify({ ts: now, values: { lel: 1 } }) },
      { reason: 'unknown_channel', topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'), payload: JSON.stringify({ ts: now - 3000, values: { lel: 5, co: 7 } }) },
      { reason: 'out_of_range', topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'), payload: JSON.stringify({ ts: now - 2000, values: { lel: 140 } }) },
      {
        reason: 'timestamp_in_future',
        topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'),
        payload: JSON.stringify({ ts: now + 86_400_000, values: { lel: 1 } }),
      },
      {
        reason: 'timestamp_too_old',
        topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'),
        payload: JSON.stringify({ ts: now - 60 * 86_400_000, values: { lel: 1 } }),
      },
      { reason: 'payload_too_large', topic: t('ent-mix', 'ent-mix-gas2', 'telemetry'), payload: 'x'.repeat(70 * 1024) },
    ];
    // Interleave: bad input must never hold back or cost the good.
    const stream: OutMessage[] = [];
    good.forEach((g, i) => {
      stream.push(g);
      const b = bad[i];
      if (b) stream.push({ topic: b.topic, payload: b.payload });
    });
    expect(await publishAll(s.broker.url, stream)).toBe(stream.length);

    const expectedByReason: Record<string, number> = {};
    for (const b of bad) expectedByReason[b.reason] = (expectedByReason[b.reason] ?? 0) + 1;
    const totalBad = bad.length;
    await waitFor(async () => Object.values(await countDeadLettersByReason(s.db.pool)).reduce((a, b) => a + b, 0) >= totalBad, { what: 'dead letters' });
    // 200 × 2 channels + 2 array samples + the good channel of the unknown_channel message.
    await waitFor(async () => (await countReadings(s.db.pool)) >= 403, { what: 'readings' });
    expect(await countDeadLettersByReason(s.db.pool)).toEqual(expectedByReason);
    expect(await countReadings(s.db.pool)).toBe(403);

    const positions = await s.db.pool.query('SELECT vehicle_id, speed_kmh FROM positions');
    expect(positions.rows).toEqual([{ vehicle_id: 'ent-mix-truck1', speed_kmh: 62 }]);
    const status = await s.db.pool.query('SELECT device_id, online FROM device_status');
    expect(status.rows).toEqual([{ device_id: 'ent-mix-gas1', online: true }]);
    const maint = await s.db.pool.query(`SELECT count(*)::int AS n FROM readings WHERE quality = 2`);
    expect(maint.rows[0].n).toBe(1);

    // Reasons are explained and payloads kept (capped at 1024 bytes here).
    const letters = await listDeadLetters(s.db.pool, { limit: 100 });
    const big = letters.find((d) => d.reason === 'payload_too_large');
    expect(big?.truncated).toBe(true);
    expect(big?.payloadBytes).toBe(70 * 1024);
    expect(letters.find((d) => d.reason === 'out_of_range')?.detail).toMatch(/lel=140 outside \[0, 100\]/);
    expect(letters.find((d) => d.reason === 'unknown_channel')?.detail).toBe('co');
    expect(letters.find((d) => d.reason === 'malformed_json' && d.payloadEncoding === 'base64')).toBeDefined();

    // The out-of-range value is not stored but reaches the rules as a fault reading.
    const jobs = await readEvaluateJobs(s.redis, s.prefix, s.partitions);
    const faults = jobs.flatMap((j) => j.readings).filter((r) => r.quality === 'fault' && r.value === 140);
    expect(faults).toHaveLength(1);
  });
});
