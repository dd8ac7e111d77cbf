import { pointNoise } from '../point-signals.js';
import { requirePoints, type ScenarioDefinition } from '../scenario-definition.js';
import { bundledSite } from '../site-files.js';
import { pointKey, siteTelemetry } from '../site-telemetry.js';
import { type PlumeProfile, plumeAt, plumeCrossings } from './gas-plume.js';
import { PLANT_BASELINES } from './plant-baselines.js';

/**
 * The script of `gas-leak` (simulated seconds from the start). The mechanical seal of
 * feed pump P-201 fails: GD-203 at the seal ramps past 25 %LEL (GB/T 50493 first level)
 * then 50 %LEL (second level); the gas drifts to GD-202 (crosses 25 later) and GD-204
 * (rises, stays below 25). At 360 s the pump is isolated and the gas disperses back to 0,
 * so a latched alarm must outlive the gas.
 */
export const GAS_LEAK_PLAN = {
  enterpriseId: 'sd-ht-jinyu-chem',
  hazardSourceId: 'hs-hdt-unit',
  channel: 'lel',
  source: { deviceId: 'gd-203', startS: 120, rampEndS: 240, peak: 62, isolatedS: 360, decayTauS: 30 },
  neighbours: [
    { deviceId: 'gd-202', startS: 180, rampEndS: 300, peak: 31, isolatedS: 360, decayTauS: 40 },
    { deviceId: 'gd-204', startS: 210, rampEndS: 330, peak: 16, isolatedS: 360, decayTauS: 45 },
  ],
  /** Detectors that stay quiet throughout. */
  quiet: ['gd-201', 'gd-205', 'gd-211', 'gd-221'],
  /** Relative turbulent fluctuation of the plume (standard deviation). */
  fluctuation: 0.02,
} as const satisfies {
  enterpriseId: string;
  hazardSourceId: string;
  channel: string;
  source: PlumeProfile & { deviceId: string };
  neighbours: readonly (PlumeProfile & { deviceId: string })[];
  quiet: readonly string[];
  fluctuation: number;
};

/** `gas-leak`: see {@link GAS_LEAK_PLAN}. */
export const gasLeakScenario: ScenarioDefinition = {
  name: 'gas-leak',
  summary: 'GD-203 ramps past 25 then 50 %LEL, GD-202 crosses 25 later, GD-204 rises below 25; gas disperses to 0 after 360 s',
  defaultDurationS: 600,
  minDurationS: 540,
  unboundedAllowed: false,
  defaultSpeed: 'max',
  options: ['site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('chemical-plant');
    const plumes = [GAS_LEAK_PLAN.source, ...GAS_LEAK_PLAN.neighbours];
    requirePoints(
      site,
      'gas-leak',
      plumes.map((p) => pointKey(p.deviceId, GAS_LEAK_PLAN.channel)),
    );
    const signals = Object.fromEntries(
      plumes.map((p) => {
        const key = pointKey(p.deviceId, GAS_LEAK_PLAN.channel);
        const zeroDrift = pointNoise(ctx.seed, key);
        const turbulence = pointNoise(ctx.seed, `${key}#plume`);
        // clean-air zero drift (as a quiet detector) plus the plume with its turbulent fluctuation
        return [key, (tS: number) => Math.abs(zeroDrift(tS)) * 0.4 + plumeAt(p, tS) * (1 + GAS_LEAK_PLAN.fluctuation * turbulence(tS))];
      }),
    );
    const crossings = Object.fromEntries(plumes.map((p) => [p.deviceId, { firstLevel25: plumeCrossings(p, 25), secondLevel50: plumeCrossings(p, 50) }]));
    return {
      site,
      messages: () =>
        siteTelemetry({
          site,
          seed: ctx.seed,
          startMs: ctx.startMs,
          durationS: ctx.durationS,
          topicPrefix: ctx.topicPrefix,
          baselines: PLANT_BASELINES,
          signals,
        }),
      facts: { ...GAS_LEAK_PLAN, noiseFreeCrossingsS: crossings },
    };
  },
};
