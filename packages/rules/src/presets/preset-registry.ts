import { type RuleDocument, RuleDocumentSchema, type RuleKind } from '@hazardwatch/contracts';
import type { z } from 'zod';
import { RuleError, RuleErrorCode } from '../errors.js';
import { gasCombustiblePreset } from './gas-combustible.js';
import { gasOxygenPreset } from './gas-oxygen.js';
import { gasToxicPreset } from './gas-toxic.js';
import type { PresetDefinition } from './preset.js';
import { processFlowPreset, processLevelPreset, processPressurePreset, processTemperaturePreset } from './process-isa.js';
import {
  tailingsBeachPreset,
  tailingsDisplacementPreset,
  tailingsDisplacementRatePreset,
  tailingsFreeboardPreset,
  tailingsPhreaticPreset,
  tailingsRainfallPreset,
} from './tailings.js';
import { tailingsDamPreset } from './tailings-dam.js';
import { vehicleFatiguePreset, vehicleForbiddenHoursPreset, vehicleLongStopPreset, vehicleOfflinePreset, vehicleOverspeedPreset } from './vehicle.js';

/** Every preset the product ships. */
export const PRESETS: readonly PresetDefinition[] = [
  gasCombustiblePreset,
  gasToxicPreset,
  gasOxygenPreset,
  processPressurePreset,
  processLevelPreset,
  processTemperaturePreset,
  processFlowPreset,
  tailingsFreeboardPreset,
  tailingsBeachPreset,
  tailingsPhreaticPreset,
  tailingsRainfallPreset,
  tailingsDisplacementPreset,
  tailingsDisplacementRatePreset,
  tailingsDamPreset,
  vehicleOverspeedPreset,
  vehicleFatiguePreset,
  vehicleForbiddenHoursPreset,
  vehicleLongStopPreset,
  vehicleOfflinePreset,
] as readonly PresetDefinition[];

/** What a client sees of a preset; `paramsSchema` validates (and documents) its parameters. */
export type PresetInfo = { id: string; title: string; description: string; source: string; kind: RuleKind; paramsSchema: z.ZodType };

/** The presets with their descriptions and sources. */
export function listPresets(): PresetInfo[] {
  return PRESETS.map((p) => ({ id: p.id, title: p.title, description: p.description, source: p.source, kind: p.kind, paramsSchema: p.params }));
}

const issuesOf = (e: z.ZodError): string[] => e.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));

/**
 * Builds a rule document from a preset. Throws `HW_RULES_PRESET_UNKNOWN`, or
 * `HW_RULES_PRESET_PARAMS` with one readable reason per problem (in `details`), whether the
 * parameters themselves or the document they produce is invalid.
 */
export function instantiatePreset(presetId: string, params: unknown): RuleDocument {
  const preset = PRESETS.find((p) => p.id === presetId);
  if (!preset) throw new RuleError(RuleErrorCode.PresetUnknown, `no preset ${presetId}; known: ${PRESETS.map((p) => p.id).join(', ')}`);
  const parsed = preset.params.safeParse(params);
  if (!parsed.success) throw new RuleError(RuleErrorCode.PresetParams, `invalid parameters for preset ${presetId}`, issuesOf(parsed.error));
  const doc = RuleDocumentSchema.safeParse(preset.build(parsed.data));
  if (!doc.success) throw new RuleError(RuleErrorCode.PresetParams, `preset ${presetId} produced an invalid rule with these parameters`, issuesOf(doc.error));
  return doc.data;
}
