import { type AlarmEvent, PRIORITY_OF_COLOUR, type Priority, PrioritySchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { AlarmError } from './errors.js';

const MIN = 60_000;

/** The fields of an alarm event the KPIs read; a stored {@link AlarmEvent} or a draft will do. */
export type KpiEvent = Pick<AlarmEvent, 'alarmId' | 'type' | 'at' | 'enterpriseId' | 'colour' | 'ruleId' | 'subject' | 'stateAfter'>;

/**
 * Alarm-management KPI settings. Defaults are the ANSI/ISA-18.2 / EEMUA 191
 * figures of domain.md; every one can be overridden.
 */
export const KpiOptionsSchema = z
  .object({
    /** Period of the alarm rate: "alarms per 10 minutes". */
    rateWindowMs: z
      .number()
      .int()
      .positive()
      .default(10 * MIN),
    /** About 1 alarm per 10 min per operator is acceptable … */
    acceptablePerWindow: z.number().nonnegative().default(1),
    /** … and 2 is the most an operator can handle. */
    maxManageablePerWindow: z.number().nonnegative().default(2),
    /** Flood: more than `floodStartAbove` alarms within a sliding `floodWindowMs` … */
    floodWindowMs: z
      .number()
      .int()
      .positive()
      .default(10 * MIN),
    floodStartAbove: z.number().int().nonnegative().default(10),
    /** … ending when the count in the sliding window falls below `floodEndBelow`. */
    floodEndBelow: z.number().int().positive().default(5),
    /** Time in flood should stay under 1 %. */
    floodTimeTargetPercent: z.number().nonnegative().default(1),
    /** Chattering: at least `chatterMinActivations` activations of one alarm within `chatterWindowMs`. */
    chatterWindowMs: z.number().int().positive().default(MIN),
    chatterMinActivations: z.number().int().min(2).default(3),
    /** Stale: active for more than 24 h … */
    staleAfterMs: z
      .number()
      .int()
      .positive()
      .default(24 * 60 * MIN),
    /** … and there should be fewer than 5 of them. */
    staleTargetMax: z.number().int().nonnegative().default(5),
    topN: z.number().int().positive().default(10),
    /**
     * Priority mix target: about 80 % low, 15 % high, 5 % urgent. The domain's
     * three bands meet four priorities here (red urgent, orange high, yellow medium,
     * blue low), so medium counts in the low band by default.
     */
    priorityTargets: z.array(z.object({ band: z.string().min(1), priorities: z.array(PrioritySchema).min(1), percent: z.number().min(0).max(100) })).default([
      { band: 'urgent', priorities: ['urgent'], percent: 5 },
      { band: 'high', priorities: ['high'], percent: 15 },
      { band: 'low', priorities: ['medium', 'low'], percent: 80 },
    ]),
  })
  .refine((o) => o.floodEndBelow <= o.floodStartAbove, { message: 'a flood must end below where it starts', path: ['floodEndBelow'] });
export type KpiOptions = z.infer<typeof KpiOptionsSchema>;

/** The defaults of {@link KpiOptionsSchema}. */
export const DEFAULT_KPI_OPTIONS: KpiOptions = Object.freeze(KpiOptionsSchema.parse({}));

/** The half-open window [from, to) the KPIs describe, epoch ms. */
export type KpiWindow = { from: number; to: number };

/** One alarm flood within the window. */
export type FloodInterval = {
  /** Clipped to the window. */
  start: number;
  end: number;
  /** Alarms annunciated within [start, end). */
  alarms: number;
  /** Most alarms in one sliding window during the flood. */
  peakPerWindow: number;
  /** Still in flood at the window's end. */
  ongoing: boolean;
};

/** An alarm (rule and subject) that chattered within the window. */
export type ChatteringAlarm = {
  ruleId: string | null;
  subject: string;
  /** Activations in the whole window. */
  activations: number;
  /** Most activations within one chatter window. */
  maxPerWindow: number;
  /** When the threshold was first reached. */
  firstAt: number;
};

/** An alarm whose condition had been active longer than `staleAfterMs` at the window's end. */
export type StaleAlarm = {
  alarmId: string;
  ruleId: string | null;
  subject: string;
  enterpriseId: string;
  activeSince: number;
  activeForMs: number;
  /** State at the window's end: a shelved or out-of-service alarm can be stale too. */
  state: AlarmEvent['stateAfter'];
};

/** One of the most frequent alarms: its annunciations and their share of all. */
export type FrequentAlarm = { ruleId: string | null; subject: string; count: number; percent: number };

/** The KPIs of one scope over one window (see README.md for each definition). */
export type AlarmKpis = {
  window: KpiWindow;
  /** Alarms presented to the operator: `raised` events landing in active_unacknowledged. */
  annunciated: number;
  /** Every activation (`raised`), shown or hidden (shelved, suppressed, out of service). */
  activations: number;
  rate: {
    averagePerWindow: number;
    peakPerWindow: number;
    peakWindowStart: number | null;
    /** Share of fixed rate periods with more than `maxManageablePerWindow` alarms. */
    percentWindowsAboveMax: number;
  };
  floods: { intervals: FloodInterval[]; percentTimeInFlood: number; withinTarget: boolean };
  chattering: ChatteringAlarm[];
  stale: { alarms: StaleAlarm[]; withinTarget: boolean };
  topFrequent: FrequentAlarm[];
  priority: {
    counts: Record<Priority, number>;
    /** Annunciations that carried no colour. */
    unclassified: number;
    percent: Record<Priority, number>;
    bands: { band: string; priorities: Priority[]; targetPercent: number; actualPercent: number }[];
  };
  acknowledgement: {
    /** Annunciations within the window acknowledged (or reset) before its end. */
    samples: number;
    p50Ms: number | null;
    p90Ms: number | null;
    /** Annunciations within the window still awaiting acknowledgement at its end. */
    pendingAtEnd: number;
  };
};

function isAnnunciation(e: KpiEvent): boolean {
  return e.type === 'raised' && e.stateAfter === 'active_unacknowledged';
}

/** One alarm identity across its rows: the same rule on the same subject. */
function alarmKey(e: Pick<KpiEvent, 'ruleId' | 'subject'>): string {
  return JSON.stringify([e.ruleId, e.subject]);
}

/** Nearest-rank percentile (no interpolation: every figure is a time that happened). */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

function floods(annunciationTimes: readonly number[], w: KpiWindow, o: KpiOptions): FloodInterval[] {
  // The count in the sliding window, c(t) = #{a : a ≤ t < a + W}, changes only at an
  // alarm (+1) and when it leaves the window (−1): sweeping those instants is exact.
  const changes = new Map<number, number>();
  for (const a of annunciationTimes) {
    changes.set(a, (changes.get(a) ?? 0) + 1);
    changes.set(a + o.floodWindowMs, (changes.get(a + o.floodWindowMs) ?? 0) - 1);
  }
  const raw: { start: number; end: number; peak: number; ongoing: boolean }[] = [];
  let count = 0;
  let open: { start: number; peak: number } | null = null;
  for (const [t, delta] of [...changes].sort((a, b) => a[0] - b[0])) {
    if (t > w.to) break;
    count += delta;
    if (open === null) {
      if (count > o.floodStartAbove) open = { start: t, peak: count };
    } else {
      open.peak = Math.max(open.peak, count);
      if (count < o.floodEndBelow) {
        raw.push({ start: open.start, end: t, peak: open.peak, ongoing: false });
        open = null;
      }
    }
  }
  if (open !== null) raw.push({ start: open.start, end: w.to, peak: open.peak, ongoing: true });
  return raw.flatMap((f) => {
    const start = Math.max(f.start, w.from);
    const end = Math.min(f.end, w.to);
    if (start >= end) return [];
    const alarms = annunciationTimes.filter((a) => a >= start && a < end).length;
    return [{ start, end, alarms, peakPerWindow: f.peak, ongoing: f.ongoing }];
  });
}

function chattering(activations: readonly KpiEvent[], o: KpiOptions): ChatteringAlarm[] {
  const byKey = new Map<string, KpiEvent[]>();
  for (const e of activations) {
    const list = byKey.get(alarmKey(e));
    if (list) list.push(e);
    else byKey.set(alarmKey(e), [e]);
  }
  const found: ChatteringAlarm[] = [];
  for (const list of byKey.values()) {
    const times = list.map((e) => e.at);
    let best = 0;
    let firstAt: number | null = null;
    let i = 0;
    for (let j = 0; j < times.length; j++) {
      // Activations within one chatter window: span shorter than the window.
      while ((times[j] ?? 0) - (times[i] ?? 0) >= o.chatterWindowMs) i++;
      const n = j - i + 1;
      best = Math.max(best, n);
      if (firstAt === null && n >= o.chatterMinActivations) firstAt = times[j] ?? null;
    }
    const first = list[0];
    if (first && firstAt !== null) found.push({ ruleId: first.ruleId, subject: first.subject, activations: list.length, maxPerWindow: best, firstAt });
  }
  return found.sort((a, b) => b.maxPerWindow - a.maxPerWindow || b.activations - a.activations || a.firstAt - b.firstAt);
}

function stale(known: readonly KpiEvent[], w: KpiWindow, o: KpiOptions): StaleAlarm[] {
  const alarms = new Map<string, { activeSince: number | null; last: KpiEvent }>();
  for (const e of known) {
    const s = alarms.get(e.alarmId) ?? { activeSince: null, last: e };
    s.last = e;
    if (e.type === 'raised' && s.activeSince === null) s.activeSince = e.at;
    if (e.type === 'returned_to_normal' || e.stateAfter === 'normal') s.activeSince = null;
    alarms.set(e.alarmId, s);
  }
  const found: StaleAlarm[] = [];
  for (const [alarmId, s] of alarms) {
    if (s.activeSince === null || w.to - s.activeSince <= o.staleAfterMs) continue;
    found.push({
      alarmId,
      ruleId: s.last.ruleId,
      subject: s.last.subject,
      enterpriseId: s.last.enterpriseId,
      activeSince: s.activeSince,
      activeForMs: w.to - s.activeSince,
      state: s.last.stateAfter,
    });
  }
  return found.sort((a, b) => a.activeSince - b.activeSince);
}

function acknowledgement(known: readonly KpiEvent[], w: KpiWindow): AlarmKpis['acknowledgement'] {
  const pending = new Map<string, number>();
  const samples: number[] = [];
  const inWindow = (t: number) => t >= w.from && t < w.to;
  for (const e of known) {
    if (isAnnunciation(e) && !pending.has(e.alarmId)) pending.set(e.alarmId, e.at);
    const since = pending.get(e.alarmId);
    if (since === undefined) continue;
    if (e.type === 'acknowledged' || e.type === 'reset') {
      if (inWindow(since)) samples.push(e.at - since);
      pending.delete(e.alarmId);
    } else if (e.type === 'shelved' || e.type === 'suppressed' || e.type === 'removed_from_service' || e.stateAfter === 'normal') {
      // Taken off the display without an acknowledgement: not an acknowledgement time.
      pending.delete(e.alarmId);
    }
  }
  samples.sort((a, b) => a - b);
  return {
    samples: samples.length,
    p50Ms: percentile(samples, 50),
    p90Ms: percentile(samples, 90),
    pendingAtEnd: [...pending.values()].filter(inWindow).length,
  };
}

/**
 * Alarm-management KPIs (ANSI/ISA-18.2 §16, EEMUA 191) of one scope (an enterprise,
 * an operator position, everything) over [from, to). Pass every event of the scope
 * before `to`: events before `from` give context (a flood already running, alarms
 * already active for the stale count, acknowledgements pending) but are not counted.
 * Events are read in time order; events at the same time keep the order given
 * (pass them in `seq` order). Throws `HW_KPI_BAD_WINDOW` unless from < to.
 */
export function computeAlarmKpis(events: readonly KpiEvent[], window: KpiWindow, options: Partial<KpiOptions> = {}): AlarmKpis {
  const { from, to } = window;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new AlarmError('HW_KPI_BAD_WINDOW', 'a KPI window needs from < to');
  const o: KpiOptions = { ...DEFAULT_KPI_OPTIONS, ...options };
  const inWindow = (t: number) => t >= from && t < to;
  // Array.prototype.sort is stable: equal times keep the given order.
  const known = events.filter((e) => e.at < to).sort((a, b) => a.at - b.at);
  const annunciationsAll = known.filter(isAnnunciation);
  const annunciations = annunciationsAll.filter((e) => inWindow(e.at));
  const activations = known.filter((e) => e.type === 'raised' && inWindow(e.at));

  // Rate over fixed periods from `from`; the last may be partial and counts as one.
  const periods = Math.ceil((to - from) / o.rateWindowMs);
  const perPeriod = new Array<number>(periods).fill(0);
  for (const e of annunciations) {
    const k = Math.floor((e.at - from) / o.rateWindowMs);
    perPeriod[k] = (perPeriod[k] ?? 0) + 1;
  }
  // reduce, not Math.max(...): a year has 52,560 periods, too many arguments for a spread.
  const peak = perPeriod.reduce((m, n) => Math.max(m, n), 0);
  const peakIndex = peak === 0 ? -1 : perPeriod.indexOf(peak);

  const floodIntervals = floods(
    annunciationsAll.map((e) => e.at),
    window,
    o,
  );
  const floodTime = floodIntervals.reduce((sum, f) => sum + (f.end - f.start), 0);
  const staleAlarms = stale(known, window, o);

  const frequency = new Map<string, FrequentAlarm>();
  for (const e of annunciations) {
    const f = frequency.get(alarmKey(e)) ?? { ruleId: e.ruleId, subject: e.subject, count: 0, percent: 0 };
    f.count++;
    frequency.set(alarmKey(e), f);
  }
  const topFrequent = [...frequency.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, o.topN)
    .map(([, f]) => ({ ...f, percent: percentOf(f.count, annunciations.length) }));

  const counts: Record<Priority, number> = { urgent: 0, high: 0, medium: 0, low: 0 };
  let unclassified = 0;
  for (const e of annunciations) {
    if (e.colour === null) unclassified++;
    else counts[PRIORITY_OF_COLOUR[e.colour]]++;
  }
  const percent: Record<Priority, number> = {
    urgent: percentOf(counts.urgent, annunciations.length),
    high: percentOf(counts.high, annunciations.length),
    medium: percentOf(counts.medium, annunciations.length),
    low: percentOf(counts.low, annunciations.length),
  };

  return {
    window: { from, to },
    annunciated: annunciations.length,
    activations: activations.length,
    rate: {
      averagePerWindow: annunciations.length / ((to - from) / o.rateWindowMs),
      peakPerWindow: peak,
      peakWindowStart: peakIndex < 0 ? null : from + peakIndex * o.rateWindowMs,
      percentWindowsAboveMax: percentOf(perPeriod.filter((n) => n > o.maxManageablePerWindow).length, periods),
    },
    floods: {
      intervals: floodIntervals,
      percentTimeInFlood: percentOf(floodTime, to - from),
      withinTarget: percentOf(floodTime, to - from) < o.floodTimeTargetPercent,
    },
    chattering: chattering(activations, o),
    stale: { alarms: staleAlarms, withinTarget: staleAlarms.length < o.staleTargetMax },
    topFrequent,
    priority: {
      counts,
      unclassified,
      percent,
      bands: o.priorityTargets.map((b) => ({
        band: b.band,
        priorities: b.priorities,
        targetPercent: b.percent,
        actualPercent: b.priorities.reduce((sum, p) => sum + percent[p], 0),
      })),
    },
    acknowledgement: acknowledgement(known, window),
  };
}

/**
 * The KPIs of each group: per enterprise ({@link byEnterprise}), per operator
 * position (a function mapping an event to its console, e.g. by hazard source),
 * or any other key. Events whose key is null are left out. Groups without events
 * do not appear.
 */
export function computeAlarmKpisBy<E extends KpiEvent>(
  events: readonly E[],
  keyOf: (event: E) => string | null,
  window: KpiWindow,
  options: Partial<KpiOptions> = {},
): Map<string, AlarmKpis> {
  const groups = new Map<string, E[]>();
  for (const e of events) {
    const key = keyOf(e);
    if (key === null) continue;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  return new Map([...groups].map(([key, list]) => [key, computeAlarmKpis(list, window, options)]));
}

/** Group key: the enterprise. */
export function byEnterprise(event: Pick<KpiEvent, 'enterpriseId'>): string {
  return event.enterpriseId;
}
