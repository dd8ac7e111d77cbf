import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StatusPayload, topicFor } from '@hazardwatch/contracts';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { BrokerConnectError, redactUrl, ScenarioOptionsError } from './errors.js';
import { type BuiltScenario, buildScenario, type Publisher, SCENARIOS, ScenarioOptionsSchema } from './scenario.js';
import { type ScenarioName, ScenarioNameSchema, type Speed, SpeedSchema } from './scenario-definition.js';
import type { SimMessage } from './sim-message.js';
import { addToSummary, emptySummary, FamilyCountsSchema } from './stream-summary.js';

/** Progress reported every `progressIntervalMs` while a scenario runs. */
export const ProgressSchema = z.object({
  sent: z.number().int(),
  acknowledged: z.number().int(),
  failed: z.number().int(),
  inFlight: z.number().int(),
  elapsedMs: z.number(),
  /** Acknowledged messages per second since the previous report. */
  ratePerS: z.number(),
  /** Simulated time of the last message sent (epoch ms), null before the first. */
  virtualNowMs: z.number().nullable(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** Options of {@link runScenario}: the scenario's options plus how to publish it. */
export const RunOptionsSchema = ScenarioOptionsSchema.extend({
  scenario: ScenarioNameSchema,
  brokerUrl: z
    .string()
    .url()
    .refine((u) => /^(mqtts?|wss?|tcp):$/.test(new URL(u).protocol), 'broker URL must be mqtt://, mqtts://, ws://, wss:// or tcp://')
    .default('mqtt://127.0.0.1:1883'),
  username: z.string().optional(),
  password: z.string().optional(),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  /** Simulated seconds per real second, or 'max'. Default: the scenario's (real time for `plant`, 'max' for the others). */
  speed: SpeedSchema.optional(),
  /** MQTT connections; devices are spread over them round-robin. Default: one per device, at most 64. */
  connections: z.number().int().min(1).max(4096).optional(),
  /** Most publishes awaiting their acknowledgement (QoS 1 PUBACK, QoS 0 socket write) at once, over all connections. */
  window: z.number().int().min(1).max(1_000_000).default(1000),
  /** Publish retained `{online:true}` per device at the start and `{online:false}` at a clean end, and set last wills. */
  statusMessages: z.boolean().default(true),
  clientIdPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,16}$/)
    .default('hwsim'),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** How long a stop (abort or end) waits for outstanding acknowledgements before closing the connections anyway. */
  drainTimeoutMs: z.number().int().min(0).max(600_000).default(30_000),
  progressIntervalMs: z.number().int().min(50).max(60_000).default(1000),
  onProgress: z.custom<(p: Progress) => void>((v) => typeof v === 'function', 'a function').optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'an AbortSignal').optional(),
}).strict();
export type RunOptions = z.input<typeof RunOptionsSchema>;

/** What a run did. Counts by family and readings are over messages acknowledged by the broker (QoS 1) or written (QoS 0). */
export const SummarySchema = z.object({
  scenario: ScenarioNameSchema,
  seed: z.number().int(),
  qos: z.union([z.literal(0), z.literal(1)]),
  connections: z.number().int(),
  sent: z.number().int(),
  acknowledged: z.number().int(),
  failed: z.number().int(),
  messagesByFamily: FamilyCountsSchema,
  readings: z.number().int(),
  readingsByPoint: z.record(z.string(), z.number().int()),
  positions: z.number().int(),
  /** Of `messagesByFamily.status`, those the publisher itself sent (online at start, offline at the end). */
  publisherStatusMessages: z.number().int(),
  elapsedMs: z.number(),
  /** Acknowledged messages per second over the whole run. */
  ratePerS: z.number(),
  virtualStartMs: z.number().int(),
  /** Simulated time of the last scenario message sent, null if none. */
  virtualEndMs: z.number().int().nullable(),
  aborted: z.boolean(),
  /** Message of the last publish error, if any. */
  lastError: z.string().nullable(),
});
export type Summary = z.infer<typeof SummarySchema>;

/**
 * Default virtual start for a run: late enough that the first timestamps are not older
 * than needed and early enough that none is in the future when published at `speed`
 * (now − duration · (1 − 1/speed): real time starts now, 'max' starts a duration ago).
 */
export function virtualStartFor(opts: { nowMs: number; durationS: number; speed: number | 'max' }): number {
  const s = opts.speed === 'max' ? Number.POSITIVE_INFINITY : opts.speed;
  return Math.floor(opts.nowMs - opts.durationS * 1000 * Math.max(0, 1 - 1 / s));
}

/**
 * The duration and speed a run will use (scenario defaults filled in). Throws
 * {@link ScenarioOptionsError} for an unbounded run faster than real time, whose
 * timestamps would run into the future.
 */
export function resolveRunTiming(o: { scenario: ScenarioName; durationS?: number | undefined; speed?: Speed | undefined }): {
  durationS: number;
  speed: Speed;
} {
  const durationS = o.durationS ?? SCENARIOS[o.scenario].defaultDurationS;
  const speed = o.speed ?? SCENARIOS[o.scenario].defaultSpeed;
  if (durationS === 0 && (speed === 'max' || speed > 1))
    throw new ScenarioOptionsError(['speed: an unbounded run (duration 0) must not run faster than real time, or its timestamps would reach the future']);
  return { durationS, speed };
}

/** Round-robin assignment of publishers to connections (a device always uses the same connection, so its messages stay in order). */
export function assignConnections(publishers: readonly Publisher[], connections: number): Publisher[][] {
  const groups: Publisher[][] = Array.from({ length: Math.max(1, connections) }, () => []);
  publishers.forEach((p, i) => {
    groups[i % groups.length]?.push(p);
  });
  return groups;
}

const statusTopic = (p: Publisher, prefix: string) => topicFor(p.enterpriseId, p.deviceId, 'status', prefix);

async function openClient(url: string, options: IClientOptions, timeoutMs: number, onError: (err: Error) => void): Promise<MqttClient> {
  const client = connect(url, options);
  // An error listener stays for the client's life: mqtt.js emits 'error' on protocol errors after connecting too.
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onFirstError);
        client.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      const onFirstError = (err: Error) => done(err);
      const onClose = () => done(new Error('connection closed before CONNACK'));
      client.on('connect', onConnect);
      client.on('error', onFirstError);
      client.on('close', onClose);
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  return client;
}

/**
 * Publishes a scenario to an MQTT broker and resolves with what happened.
 * Messages go out in simulated-time order, paced by `speed`, with at most `window`
 * unacknowledged publishes at once. Each device keeps one connection (ordered), its
 * last will is `{online:false}` on its status topic (for connections that carry several
 * devices the will covers the first). Ends with a clean disconnect (no will fires).
 * Rejects with {@link BrokerConnectError} when the broker cannot be reached and with
 * {@link ScenarioOptionsError} on bad options; publish errors are counted, not thrown.
 */
export async function runScenario(options: RunOptions): Promise<Summary> {
  const parsed = RunOptionsSchema.safeParse(options);
  if (!parsed.success) throw new ScenarioOptionsError(parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`));
  const o = parsed.data;

  const { durationS, speed } = resolveRunTiming(o);
  const scenario: BuiltScenario = buildScenario(o.scenario, {
    ...pickScenarioOptions(o),
    startMs: o.startMs ?? virtualStartFor({ nowMs: Date.now(), durationS, speed }),
  });

  const groups = assignConnections(scenario.publishers, o.connections ?? Math.min(64, Math.max(1, scenario.publishers.length)));
  const runId = randomBytes(3).toString('hex');
  let lastError: string | null = null;
  const noteError = (err: Error) => {
    lastError = err.message;
  };

  const clients: MqttClient[] = [];
  try {
    const opened = await Promise.allSettled(
      groups.map((group, i) => {
        const first = group[0];
        const will: IClientOptions['will'] =
          o.statusMessages && first ? { topic: statusTopic(first, o.topicPrefix), payload: Buffer.from('{"online":false}'), qos: 1, retain: true } : undefined;
        return openClient(
          o.brokerUrl,
          {
            clientId: `${o.clientIdPrefix}-${runId}-${i}`,
            clean: true,
            keepalive: 60,
            reconnectPeriod: 1000,
            connectTimeout: o.connectTimeoutMs,
            username: o.username,
            password: o.password,
            will,
          },
          o.connectTimeoutMs,
          noteError,
        );
      }),
    );
    for (const r of opened) if (r.status === 'fulfilled') clients.push(r.value);
    const failure = opened.find((r) => r.status === 'rejected');
    if (failure) throw new BrokerConnectError(o.brokerUrl, { cause: failure.reason });
  } catch (err) {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    throw err instanceof BrokerConnectError ? err : new BrokerConnectError(o.brokerUrl, { cause: err });
  }

  const clientOf = new Map<string, MqttClient>();
  groups.forEach((group, i) => {
    const c = clients[i];
    if (c) for (const p of group) clientOf.set(p.deviceId, c);
  });

  const started = performance.now();
  const published = emptySummary();
  let sent = 0;
  let acknowledged = 0;
  let failed = 0;
  let publisherStatus = 0;
  let inFlight = 0;
  let virtualNowMs: number | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const publish = (client: MqttClient, topic: string, payload: unknown, retain: boolean, m: SimMessage | null) => {
    sent++;
    inFlight++;
    client.publish(topic, JSON.stringify(payload), { qos: o.qos, retain }, (err) => {
      inFlight--;
      if (err) {
        failed++;
        lastError = err.message;
      } else {
        acknowledged++;
        if (m) addToSummary(published, m);
        else publisherStatus++;
      }
      notify();
    });
  };
  const waitUntil = async (ready: () => boolean, deadlineMs = Number.POSITIVE_INFINITY) => {
    while (!ready()) {
      const left = deadlineMs - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (Number.isFinite(left)) setTimeout(resolve, Math.min(left, 1000)).unref();
      });
    }
    return true;
  };
  const aborted = () => o.signal?.aborted === true;
  const slot = () => waitUntil(() => inFlight < o.window || aborted());
  o.signal?.addEventListener('abort', notify, { once: true });

  let lastReport = { at: started, acknowledged: 0 };
  const progress = (): Progress => {
    const now = performance.now();
    const dt = (now - lastReport.at) / 1000;
    const p: Progress = {
      sent,
      acknowledged,
      failed,
      inFlight,
      elapsedMs: now - started,
      ratePerS: dt > 0 ? (acknowledged - lastReport.acknowledged) / dt : 0,
      virtualNowMs,
    };
    lastReport = { at: now, acknowledged };
    return p;
  };
  const ticker = o.onProgress
    ? setInterval(() => {
        try {
          o.onProgress?.(progress());
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
      }, o.progressIntervalMs)
    : null;
  ticker?.unref();

  const statusPayload = (online: boolean, ts: number): StatusPayload => ({ online, ts });
  try {
    if (o.statusMessages)
      for (const p of scenario.publishers) {
        if (aborted()) break;
        const c = clientOf.get(p.deviceId);
        if (!c) continue;
        await slot();
        publish(c, statusTopic(p, o.topicPrefix), statusPayload(true, scenario.startMs), true, null);
      }

    const paced = speed !== 'max';
    const factor = speed === 'max' ? 0 : 1 / speed;
    for (const m of scenario.messages()) {
      if (aborted()) break;
      if (paced) {
        const waitMs = started + (m.atMs - scenario.startMs) * factor - performance.now();
        if (waitMs > 1) {
          try {
            await sleep(waitMs, undefined, { signal: o.signal });
          } catch {
            // aborted while waiting: fall through to the clean stop
            break;
          }
        }
      }
      if (inFlight >= o.window) await slot();
      const c = clientOf.get(m.deviceId);
      if (!c) continue;
      virtualNowMs = m.atMs;
      publish(c, m.topic, m.payload, m.retain === true, m);
    }

    await waitUntil(() => inFlight === 0, performance.now() + o.drainTimeoutMs);
    if (o.statusMessages) {
      const endTs = Math.min(virtualNowMs ?? scenario.startMs, Date.now());
      for (const p of scenario.publishers) {
        const c = clientOf.get(p.deviceId);
        if (!c) continue;
        await slot();
        publish(c, statusTopic(p, o.topicPrefix), statusPayload(false, Math.max(endTs, scenario.startMs)), true, null);
      }
      await waitUntil(() => inFlight === 0, performance.now() + o.drainTimeoutMs);
    }
  } finally {
    if (ticker) clearInterval(ticker);
    o.signal?.removeEventListener('abort', notify);
    // A clean DISCONNECT: the broker discards the will. Force only what did not drain.
    await Promise.allSettled(clients.map((c) => c.endAsync(inFlight > 0)));
  }

  const elapsedMs = performance.now() - started;
  if (o.onProgress) o.onProgress(progress());
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    qos: o.qos,
    connections: clients.length,
    sent,
    acknowledged,
    failed: failed + inFlight,
    messagesByFamily: {
      ...published.messagesByFamily,
      status: published.messagesByFamily.status + publisherStatus,
    },
    readings: published.readings,
    readingsByPoint: published.readingsByPoint,
    positions: published.positions,
    publisherStatusMessages: publisherStatus,
    elapsedMs,
    ratePerS: elapsedMs > 0 ? (acknowledged * 1000) / elapsedMs : 0,
    virtualStartMs: scenario.startMs,
    virtualEndMs: virtualNowMs,
    aborted: aborted(),
    lastError: lastError === null ? null : redactSecrets(lastError, o.brokerUrl),
  };
}

function pickScenarioOptions(o: z.output<typeof RunOptionsSchema>) {
  return {
    seed: o.seed,
    durationS: o.durationS,
    rateHz: o.rateHz,
    devices: o.devices,
    channels: o.channels,
    topicPrefix: o.topicPrefix,
    site: o.site,
  };
}

function redactSecrets(message: string, brokerUrl: string): string {
  return message.split(brokerUrl).join(redactUrl(brokerUrl));
}
