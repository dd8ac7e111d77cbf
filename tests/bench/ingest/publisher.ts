/**
 * Bench publisher, run as its own process: `devices` load devices (the simulator's
 * generated load site) publishing QoS 1 telemetry of `channels` channels, paced
 * at `rate` messages/s over all devices (or as fast as the window allows with
 * `--rate max`), over `connections` MQTT connections with at most `window`
 * unacknowledged publishes at once. Device i always uses connection i mod N.
 *
 * Leaner than `npm run sim -- load` on purpose: payloads are built as strings
 * and only totals are kept, so the publisher's own CPU (it shares the two cores
 * with what is measured) stays small. Every (device, sample) has its own
 * timestamp, so each acknowledged message must become exactly `channels` rows.
 *
 * stdout: one JSON object per line: `ready`, `progress` every second, `done`.
 * Stops at `--duration` seconds or on SIGTERM/SIGINT, then waits for the
 * outstanding acknowledgements.
 */
import { parseArgs } from 'node:util';
import { topicFor } from '@hazardwatch/contracts';
import { LOAD_SITE_IDS, loadDeviceId } from '@hazardwatch/simulators';
import mqtt, { type MqttClient } from 'mqtt';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    'topic-prefix': { type: 'string', default: '' },
    devices: { type: 'string', default: '10000' },
    channels: { type: 'string', default: '8' },
    rate: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '16' },
    window: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    'start-ms': { type: 'string' },
  },
  strict: true,
});
if (!a.url) throw new Error('--url is required');
const url = a.url;
const devices = Number(a.devices);
const channels = Number(a.channels);
const rate = a.rate === 'max' ? Number.POSITIVE_INFINITY : Number(a.rate);
const connections = Number(a.connections);
const window = Number(a.window);
const durationMs = Number(a.duration) * 1000;
// Per-device sample period in whole ms (at least 1): distinct timestamps per device.
const stepMs = Number.isFinite(rate) ? Math.max(1, Math.floor((devices * 1000) / rate)) : 1;
// Timestamps start in the past so that even an unpaced run never stamps the future.
const startMs = a['start-ms'] ? Number(a['start-ms']) : Date.now() - 3_600_000;

const topics = Array.from({ length: devices }, (_, i) => topicFor(LOAD_SITE_IDS.enterpriseId, loadDeviceId(i), 'telemetry', a['topic-prefix']));
const channelKeys = Array.from({ length: channels }, (_, j) => `"${LOAD_SITE_IDS.channelPrefix}${j}":`);

// xorshift32: values only need to vary, not to be reproducible across versions.
let state = Number(a.seed) >>> 0 || 1;
const next = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x1_0000_0000;
};
const payloadFor = (ts: number, seq: number): string => {
  let s = `{"ts":${ts},"seq":${seq},"values":{`;
  for (let j = 0; j < channels; j++) s += `${j > 0 ? ',' : ''}${channelKeys[j]}${(400 + 200 * next()).toFixed(2)}`;
  return `${s}}}`;
};

const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const clients: MqttClient[] = await Promise.all(
  Array.from({ length: connections }, (_, i) =>
    mqtt.connectAsync(url, { clientId: `hwbench-pub-${process.pid}-${i}`, clean: true, keepalive: 60, reconnectPeriod: 1000 }),
  ),
);
for (const c of clients) c.on('error', (err) => out({ event: 'error', message: err.message }));

let sent = 0;
let acked = 0;
let failed = 0;
let inFlight = 0;
let stopping = false;
let lastError: string | null = null;
const onAck = (err?: Error) => {
  inFlight--;
  if (err) {
    failed++;
    lastError = err.message;
  } else acked++;
};

const started = performance.now();
out({ event: 'ready', connections, devices, channels, rate: a.rate, stepMs, startMs });

/** Publish what is due by now (paced) or what the window allows (max). */
const tick = () => {
  if (stopping) return;
  const elapsed = performance.now() - started;
  if (durationMs > 0 && elapsed >= durationMs) {
    stopping = true;
    return;
  }
  const due = Number.isFinite(rate) ? Math.floor((elapsed * rate) / 1000) : Number.POSITIVE_INFINITY;
  while (sent < due && inFlight < window) {
    const device = sent % devices;
    const k = Math.floor(sent / devices);
    const client = clients[device % connections];
    const topic = topics[device];
    if (!client || !topic) break;
    inFlight++;
    sent++;
    client.publish(topic, payloadFor(startMs + k * stepMs, k), { qos: 1 }, onAck);
  }
  setTimeout(tick, 1);
};

let lastReport = { at: started, acked: 0 };
const report = setInterval(() => {
  const now = performance.now();
  out({
    event: 'progress',
    elapsedMs: Math.round(now - started),
    sent,
    acked,
    failed,
    inFlight,
    ackedPerS: Math.round(((acked - lastReport.acked) * 1000) / (now - lastReport.at)),
  });
  lastReport = { at: now, acked };
}, 1000);

for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    stopping = true;
  });
const DRAIN_MS = 60_000;
// Resolves once stopped and every publish is acknowledged (or after DRAIN_MS; what is left counts as failed).
const finished = new Promise<void>((resolve) => {
  let stoppedAt: number | undefined;
  const check = () => {
    if (stopping) stoppedAt ??= performance.now();
    if (stoppedAt !== undefined && (inFlight === 0 || performance.now() - stoppedAt > DRAIN_MS)) resolve();
    else setTimeout(check, 20);
  };
  check();
});

tick();
await finished;
clearInterval(report);
failed += inFlight;
const elapsedMs = performance.now() - started;
await Promise.all(clients.map((c) => c.endAsync()));
out({ event: 'done', sent, acked, failed, readingsAcked: acked * channels, elapsedMs: Math.round(elapsedMs), lastError });
