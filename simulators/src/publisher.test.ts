import { randomUUID } from 'node:crypto';
import { StatusPayloadSchema, TelemetryPayloadSchema, TopicSchema } from '@hazardwatch/contracts';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerConnectError } from './errors.js';
import { assignConnections, runScenario, virtualStartFor } from './publisher.js';

// The machine's own Mosquitto (stock config). Volumes stay below its 1000-message
// per-client queue so the QoS 1 subscriber here cannot be the one losing messages.
const BROKER = 'mqtt://127.0.0.1:1883';

interface Received {
  topic: string;
  payload: unknown;
  retain: boolean;
}

async function subscriber(prefix: string): Promise<{ client: MqttClient; received: Received[]; waitFor: (n: number, timeoutMs: number) => Promise<void> }> {
  const client = await connectAsync(BROKER, { clientId: `hwsim-test-sub-${randomUUID().slice(0, 8)}`, clean: true, reconnectPeriod: 0 });
  client.on('error', () => undefined);
  const received: Received[] = [];
  let waiter: { n: number; resolve: () => void } | null = null;
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload: payload.length > 0 ? JSON.parse(payload.toString()) : null, retain: packet.retain });
    if (waiter && received.length >= waiter.n) waiter.resolve();
  });
  await client.subscribeAsync(`${prefix}hw/v1/#`, { qos: 1 });
  const waitFor = (n: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (received.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`got ${received.length} of ${n} messages`)), timeoutMs);
      waiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  return { client, received, waitFor };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Clears the retained status messages a run leaves under its prefix. */
async function clearRetained(sub: MqttClient, topics: Iterable<string>): Promise<void> {
  for (const t of new Set(topics)) await sub.publishAsync(t, '', { qos: 1, retain: true });
}

describe('runScenario against Mosquitto on 127.0.0.1:1883', () => {
  it('publishes every QoS 1 message, with online/offline status per device, and counts them exactly', async () => {
    const prefix = `hwsim-test-${randomUUID().slice(0, 8)}/`;
    const sub = await subscriber(prefix);
    cleanups.push(() => sub.client.endAsync());
    const summary = await runScenario({
      scenario: 'load',
      brokerUrl: BROKER,
      devices: 10,
      rateHz: 20,
      durationS: 2,
      channels: 8,
      topicPrefix: prefix,
      qos: 1,
      window: 16,
    });
    const statusTopics = sub.received.filter((r) => r.topic.endsWith('/status')).map((r) => r.topic);
    cleanups.push(() => clearRetained(sub.client, statusTopics));

    expect(summary).toMatchObject({ sent: 420, acknowledged: 420, failed: 0, readings: 3200, publisherStatusMessages: 20, aborted: false, lastError: null });
    expect(summary.messagesByFamily).toEqual({ telemetry: 400, position: 0, status: 20 });
    expect(summary.connections).toBe(10);
    await sub.waitFor(420, 10_000);
    expect(sub.received).toHaveLength(420);

    const telemetry = sub.received.filter((r) => TopicSchema.parse(r.topic.slice(prefix.length)).family === 'telemetry');
    expect(telemetry).toHaveLength(400);
    const byDevice = new Map<string, number[]>();
    for (const r of telemetry) {
      const samples = TelemetryPayloadSchema.parse(r.payload);
      const id = TopicSchema.parse(r.topic.slice(prefix.length)).deviceId;
      byDevice.set(id, [...(byDevice.get(id) ?? []), ...samples.map((x) => x.seq ?? -1)]);
    }
    expect(byDevice.size).toBe(10);
    // one connection per device: each device's samples arrive in order
    for (const seqs of byDevice.values()) expect(seqs).toEqual(Array.from({ length: 40 }, (_, k) => k));

    const status = sub.received.filter((r) => r.topic.endsWith('/status')).map((r) => ({ ...r, payload: StatusPayloadSchema.parse(r.payload) }));
    expect(status.filter((r) => r.payload.online)).toHaveLength(10);
    expect(status.filter((r) => !r.payload.online)).toHaveLength(10);
    expect(status.every((r) => r.payload.ts !== undefined && r.payload.ts <= Date.now())).toBe(true);
  });

  it('stops cleanly on abort, reporting what it sent', async () => {
    const prefix = `hwsim-test-${randomUUID().slice(0, 8)}/`;
    const sub = await subscriber(prefix);
    cleanups.push(() => sub.client.endAsync());
    const controller = new AbortController();
    const summary = await runScenario({
      scenario: 'plant',
      brokerUrl: BROKER,
      topicPrefix: prefix,
      durationS: 0,
      progressIntervalMs: 300,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.acknowledged > 20) controller.abort();
      },
    });
    cleanups.push(() =>
      clearRetained(
        sub.client,
        sub.received.filter((r) => r.topic.endsWith('/status')).map((r) => r.topic),
      ),
    );
    expect(summary.aborted).toBe(true);
    expect(summary.failed).toBe(0);
    expect(summary.acknowledged).toBe(summary.sent);
    expect(summary.publisherStatusMessages).toBe(2 * 11);
    await sub.waitFor(summary.sent, 10_000);
    expect(sub.received).toHaveLength(summary.sent);
    // real time: timestamps track the wall clock, none in the future
    expect(summary.virtualEndMs).not.toBeNull();
    expect(summary.virtualEndMs ?? 0).toBeLessThanOrEqual(Date.now());
  });

  it('rejects an unreachable broker with BrokerConnectError', async () => {
    await expect(runScenario({ scenario: 'load', brokerUrl: 'mqtt://127.0.0.1:1', durationS: 1, devices: 1, connectTimeoutMs: 2000 })).rejects.toBeInstanceOf(
      BrokerConnectError,
    );
  });
});

describe('publisher helpers', () => {
  it('starts real-time runs now and fast runs one duration ago', () => {
    expect(virtualStartFor({ nowMs: 1_000_000_000_000, durationS: 600, speed: 1 })).toBe(1_000_000_000_000);
    expect(virtualStartFor({ nowMs: 1_000_000_000_000, durationS: 600, speed: 'max' })).toBe(1_000_000_000_000 - 600_000);
    expect(virtualStartFor({ nowMs: 1_000_000_000_000, durationS: 600, speed: 10 })).toBe(1_000_000_000_000 - 540_000);
  });

  it('keeps each device on one connection, round-robin', () => {
    const pubs = Array.from({ length: 5 }, (_, i) => ({ enterpriseId: 'e', deviceId: `d${i}`, kind: 'device' as const }));
    expect(assignConnections(pubs, 2).map((g) => g.map((p) => p.deviceId))).toEqual([
      ['d0', 'd2', 'd4'],
      ['d1', 'd3'],
    ]);
  });
});
