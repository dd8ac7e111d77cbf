import { requirePoints, type ScenarioDefinition } from '../scenario-definition.js';
import { bundledSite } from '../site-files.js';
import { siteTelemetry } from '../site-telemetry.js';
import { PLANT_BASELINES } from './plant-baselines.js';
import { TANK_EVENT_PLAN, TANK_EVENT_POINTS, tankEventSignals } from './tank-event.js';

/** `interlock-fail`: as `tank-overpressure` up to the trip, but XV-1011 never closes (see {@link TANK_EVENT_PLAN}). */
export const interlockFailScenario: ScenarioDefinition = {
  name: 'interlock-fail',
  summary: 'IS-1011 trip demanded (2oo3 ≥ 1.60 MPa) but XV-1011 stays open; pressure keeps rising towards 1.74 MPa',
  defaultDurationS: 900,
  minDurationS: 600,
  unboundedAllowed: false,
  defaultSpeed: 'max',
  options: ['site'],
  build(ctx) {
    const site = ctx.site ?? bundledSite('chemical-plant');
    requirePoints(site, 'interlock-fail', TANK_EVENT_POINTS);
    const { signals, tripAtS } = tankEventSignals(site, ctx.seed, ctx.durationS, false);
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
      facts: { ...TANK_EVENT_PLAN, tripAtS, valveClosedAtS: null },
    };
  },
};
