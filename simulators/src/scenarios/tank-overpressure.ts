import { requirePoints, type ScenarioDefinition } from '../scenario-definition.js';
import { bundledSite } from '../site-files.js';
import { siteTelemetry } from '../site-telemetry.js';
import { PLANT_BASELINES } from './plant-baselines.js';
import { TANK_EVENT_PLAN, TANK_EVENT_POINTS, tankEventSignals } from './tank-event.js';

/** `tank-overpressure`: TK-101 pressure climbs past high and high-high; IS-1011 trips 2oo3 and the inlet ESD valve closes (see {@link TANK_EVENT_PLAN}). */
export const tankOverpressureScenario: ScenarioDefinition = {
  name: 'tank-overpressure',
  summary: 'TK-101 pressure passes 1.40 then 1.60 MPa; IS-1011 trips (2oo3), XV-1011 closes 2 s later, pressure recovers',
  defaultDurationS: 900,
  minDurationS: 600,
  unboundedAllowed: false,
  defaultSpeed: 'max',
  options: ['site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('chemical-plant');
    requirePoints(site, 'tank-overpressure', TANK_EVENT_POINTS);
    const { signals, tripAtS, valveClosedAtS } = tankEventSignals(site, ctx.seed, ctx.durationS, true);
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
      facts: { ...TANK_EVENT_PLAN, tripAtS, valveClosedAtS },
    };
  },
};
