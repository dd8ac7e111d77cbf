import { type PointSignal, pointNoise } from '../point-signals.js';
import { requirePoints, type ScenarioDefinition } from '../scenario-definition.js';
import { bundledSite } from '../site-files.js';
import { pointKey, siteTelemetry } from '../site-telemetry.js';

const H = 3600;

/**
 * The script of `tailings-storm` (simulated seconds from the start; 18 h by default).
 * Dry for 2 h; then 12 h of rain totalling about 46 mm (a sin² shower peaking at 8 h,
 * ≈ 7.7 mm/h), so the 12 h accumulation passes the 30 mm rainstorm grade (the weather
 * service's yellow level) at about 8.9 h. The pond follows with a 1 h lag and rises
 * 1.15 m (126.20 → 127.35 m; freeboard against the 128.0 m crest 1.80 → 0.65 m), the
 * dry beach shrinks with it (120 → about 58 m), the phreatic line rises 0.7 m with a 3 h
 * lag, the crest GNSS stations creep a little downstream. From 15 h the decant lowers the
 * pond 0.04 m/h. The rain gauge reports the rain of each 10 min interval, not a total.
 */
export const TAILINGS_STORM_PLAN = {
  enterpriseId: 'sd-tz-jintai-mining',
  hazardSourceId: 'hs-tailings-1',
  crestElevationM: 128,
  rain: { deviceId: 'tz-rain-01', channel: 'rainfall', startS: 2 * H, endS: 14 * H, totalMm: 46, intervalS: 600, jitter: 0.15 },
  pond: { deviceId: 'tz-pond-01', channel: 'pond_level', baseM: 126.2, riseM: 1.15, lagS: H, recessionFromS: 15 * H, recessionMPerH: 0.04 },
  beach: { deviceId: 'tz-beach-01', channel: 'beach_length', baseM: 120, shrinkMPerMRise: 54 },
  phreatic: {
    channel: 'depth',
    riseM: 0.7,
    lagS: 3 * H,
    baseDepthM: { 'tz-phreatic-01': 9.6, 'tz-phreatic-02': 8.4, 'tz-phreatic-03': 7.8 } as Readonly<Record<string, number>>,
  },
  gnss: {
    lagS: 2 * H,
    creepMmPerH: 0.05,
    /** Cumulative displacement since the baseline survey, mm, at the start. */
    baseMm: {
      'tz-gnss-01': { dx: 3.2, dy: -5.1, dh: -2.4 },
      'tz-gnss-02': { dx: 2.1, dy: -6.8, dh: -3.0 },
    } as Readonly<Record<string, Readonly<Record<string, number>>>>,
    /** Movement the storm adds (downstream = −dy, settlement = −dh). */
    stormMm: { dx: 0.4, dy: -1.8, dh: -1.2 } as Readonly<Record<string, number>>,
  },
} as const;

const S = TAILINGS_STORM_PLAN;

/** Fraction of the storm's rain fallen by `tS` (0 → 1), the integral of a sin² shower. */
export function rainFraction(tS: number): number {
  const x = Math.min(Math.max((tS - S.rain.startS) / (S.rain.endS - S.rain.startS), 0), 1);
  return x - Math.sin(2 * Math.PI * x) / (2 * Math.PI);
}

/** Noise-free pond rise above its base level (m). */
function pondRise(tS: number): number {
  return S.pond.riseM * rainFraction(tS - S.pond.lagS) - (S.pond.recessionMPerH * Math.max(0, tS - S.pond.recessionFromS)) / H;
}

/** `tailings-storm`: see {@link TAILINGS_STORM_PLAN}. */
export const tailingsStormScenario: ScenarioDefinition = {
  name: 'tailings-storm',
  summary: '12 h storm of about 46 mm: 12 h rainfall passes 30 mm at ≈ 8.9 h; pond +1.15 m (freeboard 1.80 → 0.65 m), beach 120 → 58 m',
  defaultDurationS: 18 * H,
  minDurationS: 15 * H,
  unboundedAllowed: false,
  defaultSpeed: 'max',
  options: ['site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('tailings-dam');
    const phreaticIds = Object.keys(S.phreatic.baseDepthM);
    const gnssIds = Object.keys(S.gnss.baseMm);
    requirePoints(site, 'tailings-storm', [
      pointKey(S.rain.deviceId, S.rain.channel),
      pointKey(S.pond.deviceId, S.pond.channel),
      pointKey(S.beach.deviceId, S.beach.channel),
      ...phreaticIds.map((d) => pointKey(d, S.phreatic.channel)),
      ...gnssIds.flatMap((d) => ['dx', 'dy', 'dh'].map((c) => pointKey(d, c))),
    ]);
    const noise = (key: string) => pointNoise(ctx.seed, key);
    const signals: Record<string, PointSignal> = {};

    const rainKey = pointKey(S.rain.deviceId, S.rain.channel);
    const rainJitter = noise(rainKey);
    // Rain of the interval ending at tS, with ±15 % gauge/weather jitter; never negative.
    signals[rainKey] = (tS) =>
      Math.max(0, S.rain.totalMm * (rainFraction(tS) - rainFraction(tS - S.rain.intervalS)) * (1 + S.rain.jitter * Math.max(-2, Math.min(2, rainJitter(tS)))));

    const pondKey = pointKey(S.pond.deviceId, S.pond.channel);
    const nPond = noise(pondKey);
    signals[pondKey] = (tS) => S.pond.baseM + pondRise(tS) + 0.004 * nPond(tS);

    const beachKey = pointKey(S.beach.deviceId, S.beach.channel);
    const nBeach = noise(beachKey);
    signals[beachKey] = (tS) => S.beach.baseM - S.beach.shrinkMPerMRise * pondRise(tS) + 0.3 * nBeach(tS);

    for (const id of phreaticIds) {
      const key = pointKey(id, S.phreatic.channel);
      const n = noise(key);
      const base = S.phreatic.baseDepthM[id] ?? 10;
      signals[key] = (tS) => base - S.phreatic.riseM * rainFraction(tS - S.phreatic.lagS) + 0.02 * n(tS);
    }
    for (const id of gnssIds) {
      for (const axis of ['dx', 'dy', 'dh']) {
        const key = pointKey(id, axis);
        const n = noise(key);
        const base = S.gnss.baseMm[id]?.[axis] ?? 0;
        const storm = S.gnss.stormMm[axis] ?? 0;
        const creepSign = axis === 'dx' ? 1 : -1;
        signals[key] = (tS) => base + (creepSign * (S.gnss.creepMmPerH * tS)) / H + storm * rainFraction(tS - S.gnss.lagS) + 0.8 * n(tS);
      }
    }

    const peakRise = pondRise(S.pond.recessionFromS);
    return {
      site,
      messages: () => siteTelemetry({ site, seed: ctx.seed, startMs: ctx.startMs, durationS: ctx.durationS, topicPrefix: ctx.topicPrefix, signals }),
      facts: {
        ...S,
        noiseFree: {
          maxPondLevelM: S.pond.baseM + peakRise,
          minFreeboardM: S.crestElevationM - S.pond.baseM - peakRise,
          minBeachLengthM: S.beach.baseM - S.beach.shrinkMPerMRise * peakRise,
          peakAtS: S.pond.recessionFromS,
        },
      },
    };
  },
};
