import { ColourSchema, QualitySchema, RULE_KINDS } from '@hazardwatch/contracts';
import { z } from 'zod';
import { cloneJson } from './clone-json.js';

/**
 * The engine's state of one rule: plain JSON, stored by the worker (Redis) between jobs and
 * parsed back with {@link RuleStateSchema}. It records the rule version it was built for; a
 * state of another version is migrated by the engine (see README, "Version change").
 */

/** Version of this state layout; a stored state of another layout is discarded by the worker. */
export const RULE_STATE_LAYOUT = 1;

/** Debounce timer of one level of one subject: the raw condition and the confirmed (delayed) one. */
export const LevelTimerSchema = z.object({
  /** The condition as last observed (after hysteresis). */
  raw: z.boolean(),
  /** When `raw` last changed. */
  since: z.number(),
  /** The condition after on/off delays; what the alarm follows. */
  confirmed: z.boolean(),
});
export type LevelTimer = z.infer<typeof LevelTimerSchema>;

/** The alarm the engine has announced for a subject (raised and not cleared). */
export const OpenAlarmSchema = z.object({
  level: z.string(),
  colour: ColourSchema,
  /** When the alarm was raised (a level change keeps it). */
  since: z.number(),
  /** Condition gone, alarm held by a latching rule until a reset. */
  latched: z.boolean(),
  /**
   * The latched alarm's `clear` (with `latching: true`) has been emitted, so the alarm store shows
   * it `latched`. Absent in states stored before the engine emitted that clear: such an alarm's
   * clear is emitted by its reset instead (see `resetLatch`).
   */
  clearSent: z.boolean().optional(),
});
export type OpenAlarm = z.infer<typeof OpenAlarmSchema>;

/** One alarm subject (`point:12`, `vehicle:v-1`, `rule:r-1:action`). */
export const SubjectStateSchema = z.object({
  /** Transitions emitted so far for this subject; part of transition ids, so equal timestamps never collide. */
  seq: z.number().int().nonnegative(),
  /** Timers of the levels that have been active at least once (an idle timer is raw = confirmed = false). */
  levels: z.record(z.string(), LevelTimerSchema),
  open: OpenAlarmSchema.nullable(),
  value: z.number().nullable(),
  /** Inputs were faulty or unknown at the last observation: the alarm may go up, never down. */
  hold: z.boolean(),
});
export type SubjectState = z.infer<typeof SubjectStateSchema>;

/** Last reading of a point as the engine remembers it (effective time, value, quality). */
export const LastReadingSchema = z.object({ t: z.number(), v: z.number(), q: QualitySchema });
export type LastReading = z.infer<typeof LastReadingSchema>;

/** Time series sample `[t, value]`, kept compact. */
export const SampleSchema = z.tuple([z.number(), z.number()]);
export type Sample = z.infer<typeof SampleSchema>;

const pointRecord = <T extends z.ZodType>(v: T) => z.record(z.string(), v);

export const ThresholdMemorySchema = z.object({
  kind: z.literal('threshold'),
  /** The point the memory is about (a new rule version may watch another point). */
  pointId: z.number(),
  /** Last good value: what the condition is judged on. */
  good: LastReadingSchema.nullable(),
  /** Quality of the very last reading: a fault after a good value must not look safe. */
  quality: QualitySchema.nullable(),
});
export const RateMemorySchema = z.object({
  kind: z.literal('rate_of_change'),
  pointId: z.number(),
  /** Good values in time order, from the one held at the window's start. */
  samples: z.array(SampleSchema),
  quality: QualitySchema.nullable(),
});
export const InterruptionMemorySchema = z.object({ kind: z.literal('interruption'), lastSeen: pointRecord(z.number()) });
export const StuckBandSchema = z.object({ lo: z.number(), hi: z.number(), since: z.number(), lastT: z.number() });
export const StuckMemorySchema = z.object({
  kind: z.literal('stuck'),
  bands: pointRecord(StuckBandSchema),
  quality: pointRecord(QualitySchema),
});
export const LastReadingsMemorySchema = z.object({
  kind: z.enum(['out_of_range', 'device_fault', 'composite']),
  last: pointRecord(LastReadingSchema),
});
export const InterlockMemorySchema = z.object({
  kind: z.literal('interlock'),
  /** When the rule started watching: a never-seen input is faulty from here + staleAfterMs. */
  startedAt: z.number(),
  last: pointRecord(LastReadingSchema),
  /** When the voted trigger last became active; null while it is not. */
  triggerSince: z.number().nullable(),
});
/** Memory of one tailings monitoring item (a `tailings` rule, or one item of a `tailings_dam` rule). */
export const TailingsItemMemorySchema = z.object({
  /** The item's measure; windows and counters only carry over to a version with the same one. */
  measure: z.string(),
  last: pointRecord(LastReadingSchema),
  /** Rain increments or displacement values per point, for windowed measures. */
  samples: pointRecord(z.array(SampleSchema)),
  /** Last counter value of a cumulative rain gauge. */
  counter: pointRecord(z.number()),
  /** Grade of each point after hysteresis. */
  grade: pointRecord(ColourSchema.nullable()),
});
export const TailingsMemorySchema = TailingsItemMemorySchema.extend({ kind: z.literal('tailings') });
/** A dam rule's memory: one item memory per item key. */
export const TailingsDamMemorySchema = z.object({ kind: z.literal('tailings_dam'), items: z.record(z.string(), TailingsItemMemorySchema) });
export const VehicleTrackSchema = z.object({
  lastSeen: z.number(),
  /** Last position (null until one arrives). */
  pos: z.object({ t: z.number(), lat: z.number(), lon: z.number(), speedKmh: z.number(), accOn: z.boolean().nullable() }).nullable(),
  stopped: z.boolean(),
  /** Start of the current stop. */
  stopSince: z.number().nullable(),
  /** Start of the current driving period (fatigue). */
  periodStart: z.number().nullable(),
  /** Check-specific figure of the last position: speed limit (overspeed) or distance to the route in m (corridor). */
  figure: z.number().nullable(),
  /** Zone the last position is in (geofence: a no-entry zone; long stop: an allowed area). */
  zone: z.string().nullable(),
});
export type VehicleTrack = z.infer<typeof VehicleTrackSchema>;
export const VehicleMemorySchema = z.object({
  kind: z.literal('vehicle'),
  /** The check type the tracks were kept for (stop and driving-period times carry over only to the same check). */
  check: z.string(),
  vehicles: z.record(z.string(), VehicleTrackSchema),
});

export const KindMemorySchema = z.discriminatedUnion('kind', [
  ThresholdMemorySchema,
  RateMemorySchema,
  InterruptionMemorySchema,
  StuckMemorySchema,
  LastReadingsMemorySchema,
  InterlockMemorySchema,
  TailingsMemorySchema,
  TailingsDamMemorySchema,
  VehicleMemorySchema,
]);
export type KindMemory = z.infer<typeof KindMemorySchema>;
export type ThresholdMemory = z.infer<typeof ThresholdMemorySchema>;
export type RateMemory = z.infer<typeof RateMemorySchema>;
export type InterruptionMemory = z.infer<typeof InterruptionMemorySchema>;
export type StuckMemory = z.infer<typeof StuckMemorySchema>;
export type LastReadingsMemory = z.infer<typeof LastReadingsMemorySchema>;
export type InterlockMemory = z.infer<typeof InterlockMemorySchema>;
export type TailingsItemMemory = z.infer<typeof TailingsItemMemorySchema>;
export type TailingsMemory = z.infer<typeof TailingsMemorySchema>;
export type TailingsDamMemory = z.infer<typeof TailingsDamMemorySchema>;
export type VehicleMemory = z.infer<typeof VehicleMemorySchema>;

export const RuleStateSchema = z.object({
  layout: z.literal(RULE_STATE_LAYOUT),
  ruleId: z.string(),
  ruleVersion: z.number().int().positive(),
  kind: z.enum(RULE_KINDS),
  /** When the engine first evaluated the rule: silence is counted from here. */
  startedAt: z.number(),
  /** Engine time: the latest input time or `now` processed. Never goes back. */
  clock: z.number(),
  subjects: z.record(z.string(), SubjectStateSchema),
  memory: KindMemorySchema,
});
export type RuleState = z.infer<typeof RuleStateSchema>;

function cloneSubject(ss: SubjectState): SubjectState {
  const levels: Record<string, LevelTimer> = {};
  for (const name of Object.keys(ss.levels)) {
    const t = ss.levels[name];
    if (t) levels[name] = { raw: t.raw, since: t.since, confirmed: t.confirmed };
  }
  const o = ss.open;
  const open = o
    ? { level: o.level, colour: o.colour, since: o.since, latched: o.latched, ...(o.clearSent !== undefined ? { clearSent: o.clearSent } : {}) }
    : null;
  return { seq: ss.seq, levels, open, value: ss.value, hold: ss.hold };
}

/**
 * Deep copy of a state. Shape-aware for the parts every evaluation touches (a one-reading job
 * is dominated by this copy), generic for the rest.
 */
export function cloneState(s: RuleState): RuleState {
  const subjects: Record<string, SubjectState> = {};
  for (const key of Object.keys(s.subjects)) {
    const ss = s.subjects[key];
    if (ss) subjects[key] = cloneSubject(ss);
  }
  const m = s.memory;
  const memory: KindMemory =
    m.kind === 'threshold'
      ? { kind: 'threshold', pointId: m.pointId, good: m.good ? { t: m.good.t, v: m.good.v, q: m.good.q } : null, quality: m.quality }
      : cloneJson(m);
  return { layout: s.layout, ruleId: s.ruleId, ruleVersion: s.ruleVersion, kind: s.kind, startedAt: s.startedAt, clock: s.clock, subjects, memory };
}
