import { z } from 'zod';
import type { SimMessage } from './sim-message.js';

/** Messages per family (telemetry, position, status). */
export const FamilyCountsSchema = z.object({
  telemetry: z.number().int().nonnegative(),
  position: z.number().int().nonnegative(),
  status: z.number().int().nonnegative(),
});
export type FamilyCounts = z.infer<typeof FamilyCountsSchema>;

/**
 * What a stream holds, exactly: tests compare stored rows against it.
 * `readingsByPoint` is keyed `{deviceId}.{channel}` (the measuring point's name),
 * `positionsByVehicle` by vehicle id.
 */
export const StreamSummarySchema = z.object({
  messages: z.number().int().nonnegative(),
  messagesByFamily: FamilyCountsSchema,
  /** Telemetry readings: one per channel per sample. */
  readings: z.number().int().nonnegative(),
  readingsByPoint: z.record(z.string(), z.number().int().nonnegative()),
  positions: z.number().int().nonnegative(),
  positionsByVehicle: z.record(z.string(), z.number().int().nonnegative()),
  firstAtMs: z.number().int().nullable(),
  lastAtMs: z.number().int().nullable(),
});
export type StreamSummary = z.infer<typeof StreamSummarySchema>;

/** An empty summary to fold messages into with {@link addToSummary}. */
export function emptySummary(): StreamSummary {
  return {
    messages: 0,
    messagesByFamily: { telemetry: 0, position: 0, status: 0 },
    readings: 0,
    readingsByPoint: {},
    positions: 0,
    positionsByVehicle: {},
    firstAtMs: null,
    lastAtMs: null,
  };
}

/** Counts one message into `summary` (mutates it, for hot loops). */
export function addToSummary(summary: StreamSummary, m: SimMessage): void {
  summary.messages++;
  summary.messagesByFamily[m.family]++;
  if (summary.firstAtMs === null || m.atMs < summary.firstAtMs) summary.firstAtMs = m.atMs;
  if (summary.lastAtMs === null || m.atMs > summary.lastAtMs) summary.lastAtMs = m.atMs;
  if (m.family === 'telemetry') {
    for (const channel of Object.keys(m.payload.values)) {
      const key = `${m.deviceId}.${channel}`;
      summary.readingsByPoint[key] = (summary.readingsByPoint[key] ?? 0) + 1;
      summary.readings++;
    }
  } else if (m.family === 'position') {
    summary.positions++;
    summary.positionsByVehicle[m.deviceId] = (summary.positionsByVehicle[m.deviceId] ?? 0) + 1;
  }
}

/** Summarises a finite stream. */
export function summarizeStream(messages: Iterable<SimMessage>): StreamSummary {
  const s = emptySummary();
  for (const m of messages) addToSummary(s, m);
  return s;
}
