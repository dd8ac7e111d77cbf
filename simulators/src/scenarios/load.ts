import { topicFor } from '@hazardwatch/contracts';
import { mulberry32 } from '../prng.js';
import type { ScenarioDefinition } from '../scenario-definition.js';
import type { SimMessage } from '../sim-message.js';
import { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from './generated-load-site.js';

/** Defaults of the `load` scenario. */
export const LOAD_DEFAULTS = { devices: 100, channels: 8, rateHz: 1, durationS: 10 } as const;

/**
 * `load`: N devices, each publishing one sample of C channels at `rateHz` for
 * `durationS` (dense: 8 channels, sparse: 1). Device i's k-th sample is stamped
 * start + floor(k·1000/rateHz) + floor(i·(1000/rateHz)/N) ms, so every (point, ts)
 * is unique and the stream is in time order. Exactly round(durationS·rateHz)
 * samples per device; values are seeded uniforms in 400-600.
 */
export const loadScenario: ScenarioDefinition = {
  name: 'load',
  summary: 'N devices × C channels at a given rate, for benchmarks (generated site)',
  defaultDurationS: LOAD_DEFAULTS.durationS,
  minDurationS: 0.001,
  unboundedAllowed: true,
  defaultSpeed: 'max',
  options: ['rateHz', 'devices', 'channels'],
  build(ctx) {
    const devices = ctx.devices ?? LOAD_DEFAULTS.devices;
    const channels = ctx.channels ?? LOAD_DEFAULTS.channels;
    const rateHz = ctx.rateHz ?? LOAD_DEFAULTS.rateHz;
    const site = buildLoadSite({ devices, channels, rateHz });
    const periodMs = 1000 / rateHz;
    const samplesPerDevice = ctx.durationS > 0 ? Math.round(ctx.durationS * rateHz) : Number.POSITIVE_INFINITY;
    const channelNames = Array.from({ length: channels }, (_, j) => `${LOAD_SITE_IDS.channelPrefix}${j}`);
    const ids = Array.from({ length: devices }, (_, i) => loadDeviceId(i));
    const topics = ids.map((id) => topicFor(LOAD_SITE_IDS.enterpriseId, id, 'telemetry', ctx.topicPrefix));
    const offsets = ids.map((_, i) => Math.floor((i * periodMs) / devices));
    function* messages(): Generator<SimMessage> {
      const next = mulberry32(ctx.seed);
      for (let k = 0; k < samplesPerDevice; k++) {
        const base = ctx.startMs + Math.floor(k * periodMs);
        for (let i = 0; i < devices; i++) {
          const values: Record<string, number> = {};
          for (const ch of channelNames) values[ch] = Math.round((400 + 200 * next()) * 100) / 100;
          const atMs = base + (offsets[i] ?? 0);
          yield {
            family: 'telemetry',
            topic: topics[i] ?? '',
            enterpriseId: LOAD_SITE_IDS.enterpriseId,
            deviceId: ids[i] ?? '',
            atMs,
            payload: { ts: atMs, seq: k, values },
          };
        }
      }
    }
    return {
      site,
      messages,
      facts: {
        ...LOAD_SITE_IDS,
        devices,
        channels,
        rateHz,
        samplesPerDevice: Number.isFinite(samplesPerDevice) ? samplesPerDevice : null,
        messages: Number.isFinite(samplesPerDevice) ? samplesPerDevice * devices : null,
        readings: Number.isFinite(samplesPerDevice) ? samplesPerDevice * devices * channels : null,
      },
    };
  },
};
