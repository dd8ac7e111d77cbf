import type { ScenarioDefinition } from '../scenario-definition.js';
import { bundledSite } from '../site-files.js';
import { siteTelemetry } from '../site-telemetry.js';
import { PLANT_BASELINES } from './plant-baselines.js';

/**
 * `plant`: the chemical plant in normal operation. Every point stays near its
 * baseline with sensor noise, far from any alarm level. Runs in real time by
 * default and may run without end (duration 0), as `npm start` does.
 * With a custom site, every point of that site is simulated quietly.
 */
export const plantScenario: ScenarioDefinition = {
  name: 'plant',
  summary: 'quiet chemical plant: tanks, SIS, gas detectors and DCS near their baselines with sensor noise',
  defaultDurationS: 600,
  minDurationS: 1,
  unboundedAllowed: true,
  defaultSpeed: 1,
  options: ['site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('chemical-plant');
    return {
      site,
      messages: () =>
        siteTelemetry({ site, seed: ctx.seed, startMs: ctx.startMs, durationS: ctx.durationS, topicPrefix: ctx.topicPrefix, baselines: PLANT_BASELINES }),
      facts: { enterpriseId: site.enterprise.id },
    };
  },
};
