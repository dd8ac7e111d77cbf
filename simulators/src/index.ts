export { CLI_USAGE, type CliFlags, CliFlagsSchema, CliUsageError, parseCliArgs } from './cli-options.js';
export { BrokerConnectError, ScenarioOptionsError, SimulatorError, SiteFileError } from './errors.js';
export { bearingDeg, distanceM, insidePolygon, type LonLat, makeRoute, pointAlong, type Route } from './geo.js';
export { loadSiteIntoRegistry } from './load-site.js';
export { mergeByTime } from './merge-by-time.js';
export { finishValue, type PointSignal, pointNoise, quietSignal } from './point-signals.js';
export { gaussianAt, hashString, mulberry32, uniformAt } from './prng.js';
export {
  assignConnections,
  type Progress,
  ProgressSchema,
  type RunOptions,
  RunOptionsSchema,
  resolveRunTiming,
  runScenario,
  type Summary,
  SummarySchema,
  virtualStartFor,
} from './publisher.js';
export { type BuiltScenario, buildScenario, type Publisher, SCENARIOS, type ScenarioOptions, ScenarioOptionsSchema } from './scenario.js';
export {
  type ScenarioContext,
  type ScenarioDefinition,
  type ScenarioFacts,
  type ScenarioName,
  ScenarioNameSchema,
  type Speed,
  SpeedSchema,
  TopicPrefixSchema,
} from './scenario-definition.js';
export { GAS_LEAK_PLAN } from './scenarios/gas-leak.js';
export { type PlumeProfile, plumeAt, plumeCrossings } from './scenarios/gas-plume.js';
export { buildLoadSite, LOAD_SITE_IDS, loadDeviceId } from './scenarios/generated-load-site.js';
export { LOAD_DEFAULTS } from './scenarios/load.js';
export { PLANT_BASELINES, SIS_PT_OFFSETS_MPA } from './scenarios/plant-baselines.js';
export { rainFraction, TAILINGS_STORM_PLAN } from './scenarios/tailings-storm.js';
export { TANK_EVENT_PLAN } from './scenarios/tank-event.js';
export { type Leg, type RouteName, URBAN_EAST_ROUTE, VEHICLE_PLANS, VEHICLES_PLAN, type VehiclePlan } from './scenarios/vehicles.js';
export type { SimMessage } from './sim-message.js';
export { type BundledSite, BundledSiteSchema, bundledSite, bundledSitePath, parseSiteFile, readSiteFile } from './site-files.js';
export { DEFAULT_INTERVAL_S, type DeviceSchedule, deviceSchedule, pointKey, type SiteTelemetryOptions, sampleTimeS, siteTelemetry } from './site-telemetry.js';
export { addToSummary, emptySummary, type FamilyCounts, type StreamSummary, StreamSummarySchema, summarizeStream } from './stream-summary.js';
