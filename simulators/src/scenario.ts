import { MAX_CHANNELS_PER_SAMPLE, MAX_EPOCH_MS, MIN_EPOCH_MS, type SiteFile } from '@hazardwatch/contracts';
import { z } from 'zod';
import { ScenarioOptionsError } from './errors.js';
import {
  checkSite,
  ParsedSiteSchema,
  type ScenarioDefinition,
  type ScenarioFacts,
  type ScenarioName,
  ScenarioNameSchema,
  type Speed,
  TopicPrefixSchema,
} from './scenario-definition.js';
import { gasLeakScenario } from './scenarios/gas-leak.js';
import { interlockFailScenario } from './scenarios/interlock-fail.js';
import { loadScenario } from './scenarios/load.js';
import { plantScenario } from './scenarios/plant.js';
import { tailingsStormScenario } from './scenarios/tailings-storm.js';
import { tankOverpressureScenario } from './scenarios/tank-overpressure.js';
import { vehiclesScenario } from './scenarios/vehicles.js';
import type { SimMessage } from './sim-message.js';
import { type StreamSummary, summarizeStream } from './stream-summary.js';

/** Every scenario, by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  plant: plantScenario,
  'gas-leak': gasLeakScenario,
  'tank-overpressure': tankOverpressureScenario,
  'interlock-fail': interlockFailScenario,
  'tailings-storm': tailingsStormScenario,
  vehicles: vehiclesScenario,
  load: loadScenario,
};

/** Options of {@link buildScenario}; every field is optional and falls back to the scenario's default. */
export const ScenarioOptionsSchema = z
  .object({
    /** PRNG seed: the same seed (and start) gives the identical stream. */
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Virtual start (epoch ms). Default: now − duration, so no timestamp lies in the future. */
    startMs: z.number().int().min(MIN_EPOCH_MS).max(MAX_EPOCH_MS).optional(),
    /** Simulated seconds; 0 = unbounded (`plant`, `load` only). */
    durationS: z
      .number()
      .min(0)
      .max(30 * 86400)
      .optional(),
    /** `load`: samples per device per second; `vehicles`: positions per second while the engine runs. */
    rateHz: z.number().positive().max(1000).optional(),
    /** `load`: number of devices. */
    devices: z.number().int().min(1).max(100_000).optional(),
    /** `load`: channels per message (8 dense, 1 sparse). */
    channels: z.number().int().min(1).max(MAX_CHANNELS_PER_SAMPLE).optional(),
    /** Prepended to every topic (test isolation), e.g. `t-4f2a/`. */
    topicPrefix: TopicPrefixSchema.default(''),
    /** A custom site (already parsed by SiteFileSchema) instead of the scenario's bundled one. */
    site: ParsedSiteSchema.optional(),
  })
  .strict();
export type ScenarioOptions = z.input<typeof ScenarioOptionsSchema>;

/** A device or vehicle that publishes in a scenario (one MQTT client each, where connections allow). */
export interface Publisher {
  enterpriseId: string;
  deviceId: string;
  kind: 'device' | 'vehicle';
}

/** A scenario ready to stream. `messages()` starts a fresh, identical stream on every call. */
export interface BuiltScenario {
  name: ScenarioName;
  summary: string;
  site: SiteFile;
  seed: number;
  startMs: number;
  /** Simulated seconds; 0 = unbounded. */
  durationS: number;
  defaultSpeed: Speed;
  publishers: readonly Publisher[];
  facts: ScenarioFacts;
  messages(): Generator<SimMessage>;
  /** Exact counts of the whole stream (iterates it); throws for an unbounded run. */
  expected(): StreamSummary;
}

/** Builds a scenario: validates options, applies defaults, resolves the site. Pure apart from reading the bundled site file. */
export function buildScenario(name: ScenarioName, options: ScenarioOptions = {}): BuiltScenario {
  const parsed = ScenarioOptionsSchema.safeParse(options);
  if (!parsed.success) throw new ScenarioOptionsError(parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`));
  const o = parsed.data;
  const def = SCENARIOS[ScenarioNameSchema.parse(name)];
  const durationS = o.durationS ?? def.defaultDurationS;
  const issues: string[] = [];
  if (durationS === 0 && !def.unboundedAllowed) issues.push(`duration: scenario ${name} has an end; 0 (unbounded) is only for plant and load`);
  if (durationS > 0 && durationS < def.minDurationS) issues.push(`duration: scenario ${name} needs at least ${def.minDurationS} s to play its script`);
  if (o.site && !def.options.includes('site')) issues.push(`site: scenario ${name} generates its own site`);
  for (const k of ['rateHz', 'devices', 'channels'] as const)
    if (o[k] !== undefined && !def.options.includes(k)) issues.push(`${k}: not used by scenario ${name}`);
  if (issues.length > 0) throw new ScenarioOptionsError(issues);

  const startMs = o.startMs ?? Math.floor(Date.now() - durationS * 1000);
  const built = def.build({
    seed: o.seed,
    startMs,
    durationS,
    topicPrefix: o.topicPrefix,
    rateHz: o.rateHz,
    devices: o.devices,
    channels: o.channels,
    site: o.site ? checkSite(o.site) : undefined,
  });
  const publishers: Publisher[] = [
    ...built.site.devices.filter((d) => d.points.length > 0).map((d) => ({ enterpriseId: built.site.enterprise.id, deviceId: d.id, kind: 'device' as const })),
    ...built.site.vehicles.map((v) => ({ enterpriseId: built.site.enterprise.id, deviceId: v.id, kind: 'vehicle' as const })),
  ];
  return {
    name: def.name,
    summary: def.summary,
    site: built.site,
    seed: o.seed,
    startMs,
    durationS,
    defaultSpeed: def.defaultSpeed,
    publishers,
    facts: built.facts,
    messages: built.messages,
    expected() {
      if (durationS === 0) throw new ScenarioOptionsError(['expected(): an unbounded stream has no total; use the publisher summary']);
      return summarizeStream(built.messages());
    },
  };
}
