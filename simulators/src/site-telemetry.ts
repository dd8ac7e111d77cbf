import { type SiteFile, type SitePoint, topicFor } from '@hazardwatch/contracts';
import { finishValue, type PointSignal, quietSignal } from './point-signals.js';
import { hashString } from './prng.js';
import type { SimMessage } from './sim-message.js';

type SiteDevice = SiteFile['devices'][number];

/** Reporting interval used for a device whose points declare none. */
export const DEFAULT_INTERVAL_S = 5;

/** When a device reports: every `intervalMs`, starting `phaseMs` after the scenario start. */
export interface DeviceSchedule {
  intervalMs: number;
  phaseMs: number;
}

/**
 * A device reports all its channels at the shortest `expectedIntervalS` of its points.
 * Real devices are not synchronised: each gets a fixed sub-second phase derived from
 * its id (not from the seed, so timings named in the docs hold for every seed).
 */
export function deviceSchedule(device: Pick<SiteDevice, 'id' | 'points'>): DeviceSchedule {
  const intervalS = Math.min(...device.points.map((p) => p.expectedIntervalS ?? DEFAULT_INTERVAL_S));
  const intervalMs = Math.max(1, Math.round((Number.isFinite(intervalS) ? intervalS : DEFAULT_INTERVAL_S) * 1000));
  return { intervalMs, phaseMs: hashString(device.id) % Math.min(1000, intervalMs) };
}

/** Simulated seconds (since the scenario start) of a device's k-th sample. */
export function sampleTimeS(schedule: DeviceSchedule, k: number): number {
  return (schedule.phaseMs + k * schedule.intervalMs) / 1000;
}

/** `{deviceId}.{channel}`: the name of a measuring point, and the key of every per-point map here. */
export function pointKey(deviceId: string, channel: string): string {
  return `${deviceId}.${channel}`;
}

/** Options of {@link siteTelemetry}. */
export interface SiteTelemetryOptions {
  site: SiteFile;
  seed: number;
  startMs: number;
  /** Simulated duration; 0 means unbounded (the stream never ends). */
  durationS: number;
  topicPrefix: string;
  /** Quiet baseline per point key, overriding the per-kind default. */
  baselines?: Readonly<Record<string, number>>;
  /** Scripted signal per point key (raw value; range clamping and rounding are applied after). */
  signals?: Readonly<Record<string, PointSignal>>;
}

interface DeviceCursor {
  device: SiteDevice;
  topic: string;
  schedule: DeviceSchedule;
  channels: { channel: string; point: SitePoint; signal: PointSignal }[];
  k: number;
  nextMs: number;
}

/**
 * The telemetry stream of every device of a site, ordered by time: each point
 * follows its scripted signal when the scenario gives one, else stays quiet
 * around its baseline with sensor noise.
 */
export function* siteTelemetry(opts: SiteTelemetryOptions): Generator<SimMessage> {
  const endMs = opts.durationS > 0 ? opts.durationS * 1000 : Number.POSITIVE_INFINITY;
  const cursors: DeviceCursor[] = opts.site.devices
    .filter((d) => d.points.length > 0)
    .map((device) => {
      const schedule = deviceSchedule(device);
      return {
        device,
        topic: topicFor(opts.site.enterprise.id, device.id, 'telemetry', opts.topicPrefix),
        schedule,
        channels: device.points.map((point) => {
          const key = pointKey(device.id, point.channel);
          return { channel: point.channel, point, signal: opts.signals?.[key] ?? quietSignal(point, key, opts.seed, opts.baselines?.[key]) };
        }),
        k: 0,
        nextMs: schedule.phaseMs,
      };
    });
  for (;;) {
    let c: DeviceCursor | undefined;
    for (const x of cursors) if (x.nextMs < endMs && (!c || x.nextMs < c.nextMs)) c = x;
    if (!c) return;
    const tS = c.nextMs / 1000;
    const values: Record<string, number> = {};
    for (const ch of c.channels) values[ch.channel] = finishValue(ch.point, ch.signal(tS));
    const atMs = opts.startMs + c.nextMs;
    yield {
      family: 'telemetry',
      topic: c.topic,
      enterpriseId: opts.site.enterprise.id,
      deviceId: c.device.id,
      atMs,
      payload: { ts: atMs, seq: c.k, values },
    };
    c.k++;
    c.nextMs = c.schedule.phaseMs + c.k * c.schedule.intervalMs;
  }
}
