import { PositionPayloadSchema, type SiteFile, StatusPayloadSchema, TelemetryPayloadSchema, TopicSchema } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { ScenarioOptionsError } from './errors.js';
import { buildScenario, SCENARIOS } from './scenario.js';
import { ScenarioNameSchema } from './scenario-definition.js';
import type { SimMessage } from './sim-message.js';
import { bundledSite } from './site-files.js';
import { summarizeStream } from './stream-summary.js';

const START = Date.UTC(2025, 5, 1, 8, 0, 0);
const names = ScenarioNameSchema.options;

/** Small but complete runs of every scenario (plant and load are shortened). */
const OPTIONS: Record<(typeof names)[number], Parameters<typeof buildScenario>[1]> = {
  plant: { durationS: 120 },
  'gas-leak': {},
  'tank-overpressure': {},
  'interlock-fail': {},
  'tailings-storm': {},
  vehicles: {},
  load: { devices: 20, channels: 8, rateHz: 5, durationS: 4 },
};

function pointRanges(site: SiteFile): Map<string, { min: number; max: number }> {
  return new Map(site.devices.flatMap((d) => d.points.map((p) => [`${d.id}.${p.channel}`, { min: p.rangeMin, max: p.rangeMax }] as const)));
}

describe.each(names)('scenario %s', (name) => {
  const s = buildScenario(name, { ...OPTIONS[name], seed: 42, startMs: START });
  const messages = [...s.messages()];

  it('emits something, in time order, within its duration', () => {
    expect(messages.length).toBeGreaterThan(0);
    const outOfOrder = messages.findIndex((m, i) => i > 0 && m.atMs < (messages[i - 1]?.atMs ?? 0));
    expect(outOfOrder).toBe(-1);
    expect(messages[0]?.atMs).toBeGreaterThanOrEqual(START);
    expect(messages.at(-1)?.atMs).toBeLessThan(START + s.durationS * 1000);
  });

  it('emits payloads that pass the contracts, on topics of registered devices', () => {
    const ranges = pointRanges(s.site);
    const vehicles = new Set(s.site.vehicles.map((v) => v.id));
    const bad: string[] = [];
    for (const m of messages) {
      const topic = TopicSchema.safeParse(m.topic);
      if (!topic.success || topic.data.enterpriseId !== s.site.enterprise.id || topic.data.deviceId !== m.deviceId || topic.data.family !== m.family)
        bad.push(`topic ${m.topic}`);
      if (m.family === 'telemetry') {
        // through JSON, as ingest will see it
        const wire = TelemetryPayloadSchema.safeParse(JSON.parse(JSON.stringify(m.payload)));
        if (!wire.success || wire.data[0]?.ts !== m.atMs) bad.push(`telemetry ${JSON.stringify(m.payload)}`);
        for (const [channel, v] of Object.entries(m.payload.values)) {
          const r = ranges.get(`${m.deviceId}.${channel}`);
          if (!r) bad.push(`unregistered point ${m.deviceId}.${channel}`);
          else if (typeof v !== 'number' || v < r.min || v > r.max) bad.push(`${m.deviceId}.${channel}=${v} out of range`);
        }
      } else if (m.family === 'position') {
        const p = PositionPayloadSchema.safeParse(JSON.parse(JSON.stringify(m.payload)));
        if (!vehicles.has(m.deviceId) || !p.success || p.data.ts !== m.atMs) bad.push(`position ${m.deviceId} ${JSON.stringify(m.payload)}`);
      } else if (!StatusPayloadSchema.safeParse(m.payload).success) bad.push(`status ${JSON.stringify(m.payload)}`);
      if (bad.length > 10) break;
    }
    expect(bad).toEqual([]);
  });

  it('never repeats a (point, ts) or a (vehicle, ts), so stored rows equal readings', () => {
    const seen = new Set<string>();
    const dup: string[] = [];
    for (const m of messages) {
      const keys =
        m.family === 'telemetry' ? Object.keys(m.payload.values).map((c) => `${m.deviceId}.${c}@${m.atMs}`) : [`${m.family}:${m.deviceId}@${m.atMs}`];
      for (const k of keys) {
        if (seen.has(k)) dup.push(k);
        seen.add(k);
      }
    }
    expect(dup).toEqual([]);
  });

  it('reports exactly what it emits', () => {
    const expected = s.expected();
    expect(expected).toEqual(summarizeStream(messages));
    expect(Object.values(expected.readingsByPoint).reduce((a, b) => a + b, 0)).toBe(expected.readings);
    expect(expected.messagesByFamily.telemetry + expected.messagesByFamily.position + expected.messagesByFamily.status).toBe(messages.length);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = [...buildScenario(name, { ...OPTIONS[name], seed: 42, startMs: START }).messages()];
    expect(again).toEqual(messages);
    const other = [...buildScenario(name, { ...OPTIONS[name], seed: 43, startMs: START }).messages()];
    expect(other.length).toBe(messages.length);
    expect(other).not.toEqual(messages);
  });

  it('lists every device that publishes', () => {
    const ids = new Set(s.publishers.map((p) => p.deviceId));
    expect([...new Set(messages.map((m) => m.deviceId))].filter((id) => !ids.has(id))).toEqual([]);
  });
});

describe('scenario options', () => {
  it('defaults the start so that no timestamp lies in the future', () => {
    const before = Date.now();
    const s = buildScenario('gas-leak');
    const last = [...s.messages()].at(-1) as SimMessage;
    expect(last.atMs).toBeLessThanOrEqual(Date.now());
    expect(s.startMs).toBeGreaterThanOrEqual(before - s.durationS * 1000 - 1);
  });

  it('counts load exactly: devices × round(duration × rate) messages, × channels readings', () => {
    for (const channels of [1, 8]) {
      const e = buildScenario('load', { devices: 37, rateHz: 3, durationS: 7, channels, startMs: START }).expected();
      expect(e.messagesByFamily.telemetry).toBe(37 * 21);
      expect(e.readings).toBe(37 * 21 * channels);
      expect(Object.keys(e.readingsByPoint)).toHaveLength(37 * channels);
      expect(new Set(Object.values(e.readingsByPoint))).toEqual(new Set([21]));
    }
  });

  it('rejects options a scenario does not use, short scripts and unbounded scripted runs', () => {
    expect(() => buildScenario('gas-leak', { devices: 10 })).toThrow(ScenarioOptionsError);
    expect(() => buildScenario('gas-leak', { durationS: 60 })).toThrow(/at least 540 s/);
    expect(() => buildScenario('vehicles', { durationS: 0 })).toThrow(/unbounded/);
    expect(() => buildScenario('load', { site: bundledSite('chemical-plant') })).toThrow(/generates its own site/);
    expect(() => buildScenario('load', { topicPrefix: 'no-slash' })).toThrow(ScenarioOptionsError);
  });

  it('runs plant and load without end when asked', () => {
    const it = buildScenario('plant', { durationS: 0, startMs: START }).messages();
    let n = 0;
    for (const m of it) if (++n > 20_000 || m.atMs > START + 3_600_000) break;
    expect(n).toBeGreaterThan(20_000);
    expect(() => buildScenario('plant', { durationS: 0 }).expected()).toThrow(ScenarioOptionsError);
  });

  it('simulates any custom site quietly in plant, and checks scripted ones for their points', () => {
    const site = bundledSite('tailings-dam');
    const s = buildScenario('plant', { site, startMs: START, durationS: 3600 });
    expect(s.expected().readings).toBeGreaterThan(0);
    expect(() => buildScenario('gas-leak', { site })).toThrow(/gd-203\.lel/);
  });

  it('has a definition for every name', () => {
    for (const n of names) expect(SCENARIOS[n].name).toBe(n);
  });
});
