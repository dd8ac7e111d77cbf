/**
 * Background load for the rules bench, run as its own process: `devices` devices of the
 * generated load site publishing QoS 1 telemetry of `channels` channels, paced at `rate`
 * messages/s over all devices, on `connections` MQTT connections with at most `window`
 * unacknowledged publishes. Each message carries the wall-clock time of its publication
 * (ms, made unique per device), so the readings stored during a window can be counted by time.
 *
 * stdout: JSON lines `ready`, `progress` (every second) and `done`. Stops on SIGTERM.
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
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '8' },
    window: { type: 'string', default: '1000' },
  },
  strict: true,
});
if (!a.url) throw new Error('--url is required');
const devices = Number(a.devices);
const channels = Number(a.channels);
const rate = Number(a.rate);
const connections = Number(a.connections);
const window = Number(a.window);
const topics = Array.from({ length: devices }, (_, i) => topicFor(LOAD_SITE_IDS.enterpriseId, loadDeviceId(i), 'telemetry', a['topic-prefix']));
const keys = Array.from({ length: channels }, (_, j) => `"${LOAD_SITE_IDS.channelPrefix}${j}":`);
const lastTs = new Float64Array(devices);
let seed = 1;
const rnd = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x1_0000_0000;
};
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const clients: MqttClient[] = await Promise.all(
  Array.from({ length: connections }, (_, i) =>
    mqtt.connectAsync(a.url as string, { clientId: `hwbench-bg-${process.pid}-${i}`, clean: true, reconnectPeriod: 1000 }),
  ),
);
let sent = 0;
let acked = 0;
let failed = 0;
let inFlight = 0;
let stopping = false;
const onAck = (err?: Error) => {
  inFlight--;
  if (err) failed++;
  else acked++;
};
const started = performance.now();
out({ event: 'ready', devices, channels, rate, connections });
const tick = () => {
  if (stopping) return;
  const due = Math.floor(((performance.now() - started) * rate) / 1000);
  while (sent < due && inFlight < window) {
    const d = sent % devices;
    const ts = Math.max(Date.now(), (lastTs[d] ?? 0) + 1);
    lastTs[d] = ts;
    let s = `{"ts":${ts},"seq":${sent},"values":{`;
    for (let j = 0; j < channels; j++) s += `${j > 0 ? ',' : ''}${keys[j]}${(400 + 200 * rnd()).toFixed(2)}`;
    inFlight++;
    sent++;
    clients[d % connections]?.publish(topics[d] as string, `${s}}}`, { qos: 1 }, onAck);
  }
  setTimeout(tick, 2);
};
const report = setInterval(() => out({ event: 'progress', elapsedMs: Math.round(performance.now() - started), sent, acked, failed, inFlight }), 1000);
const done = new Promise<void>((resolveDone) => {
  const stop = () => {
    stopping = true;
    const drainUntil = performance.now() + 30_000;
    const check = () => (inFlight === 0 || performance.now() > drainUntil ? resolveDone() : setTimeout(check, 20));
    check();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
tick();
await done;
clearInterval(report);
const elapsedMs = Math.round(performance.now() - started);
await Promise.all(clients.map((c) => c.endAsync()));
out({ event: 'done', sent, acked, failed: failed + inFlight, elapsedMs });
