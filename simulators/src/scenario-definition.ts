import { type SiteFile, SiteFileSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { ScenarioOptionsError } from './errors.js';
import type { SimMessage } from './sim-message.js';
import { pointKey } from './site-telemetry.js';

/** Every scenario the simulator knows. */
export const ScenarioNameSchema = z.enum(['plant', 'gas-leak', 'tank-overpressure', 'interlock-fail', 'tailings-storm', 'vehicles', 'load']);
export type ScenarioName = z.infer<typeof ScenarioNameSchema>;

/** Simulated seconds per real second, or `'max'`: as fast as the broker acknowledges. */
export const SpeedSchema = z.union([z.literal('max'), z.number().positive().max(1_000_000)]);
export type Speed = z.infer<typeof SpeedSchema>;

/** A site already validated by `SiteFileSchema` (pass the parsed value, not the raw file). */
export const ParsedSiteSchema = z.custom<SiteFile>((v) => typeof v === 'object' && v !== null && 'enterprise' in v, 'a site parsed by SiteFileSchema');

/** Empty, or path segments ending in `/` (same rule as `MQTT_TOPIC_PREFIX`), e.g. `test-4f2a/`. */
export const TopicPrefixSchema = z.string().regex(/^([A-Za-z0-9_-]+\/)*$/, 'topic prefix must be empty or end with / (letters, digits, _ and - only)');

/** Options a scenario is built from; unset ones take the scenario's defaults. */
export interface ScenarioContext {
  seed: number;
  /** Virtual start, epoch ms (integer). */
  startMs: number;
  /** Simulated seconds; 0 = unbounded (only where the scenario allows it). */
  durationS: number;
  topicPrefix: string;
  rateHz: number | undefined;
  devices: number | undefined;
  channels: number | undefined;
  site: SiteFile | undefined;
}

/** Scenario-specific timings and ids (JSON-serialisable) for tests to assert against. */
export type ScenarioFacts = Readonly<Record<string, unknown>>;

/** What a scenario module provides. */
export interface ScenarioDefinition {
  name: ScenarioName;
  summary: string;
  defaultDurationS: number;
  /** Shortest duration that holds the whole scripted story. */
  minDurationS: number;
  unboundedAllowed: boolean;
  defaultSpeed: Speed;
  /** Extra options the scenario reads; others are rejected by the CLI. */
  options: readonly ('rateHz' | 'devices' | 'channels' | 'site')[];
  build(ctx: ScenarioContext): { site: SiteFile; messages: () => Generator<SimMessage>; facts: ScenarioFacts };
}

/** Throws when a custom site lacks points a scripted scenario drives. */
export function requirePoints(site: SiteFile, scenario: ScenarioName, keys: readonly string[]): void {
  const have = new Set(site.devices.flatMap((d) => d.points.map((p) => pointKey(d.id, p.channel))));
  const missing = keys.filter((k) => !have.has(k));
  if (missing.length > 0) throw new ScenarioOptionsError([`scenario ${scenario} needs points missing from the site: ${missing.join(', ')}`]);
}

/** Re-validates a site handed in programmatically (cheap insurance against hand-built objects). */
export function checkSite(site: SiteFile): SiteFile {
  const r = SiteFileSchema.safeParse(site);
  if (!r.success) throw new ScenarioOptionsError(r.error.issues.map((i) => `site.${i.path.join('.')}: ${i.message}`));
  return r.data;
}
