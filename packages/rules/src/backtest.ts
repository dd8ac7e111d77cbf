import type { AlarmTransition, Colour, JobPosition, JobReading, RuleDocument } from '@hazardwatch/contracts';
import { z } from 'zod';
import { RuleError, RuleErrorCode } from './errors.js';
import { evaluateRule, NO_INPUTS } from './evaluate-rule.js';
import type { RuleState } from './state.js';

/** Most ticks one backtest may run (bounds the work a request can cause). */
export const MAX_BACKTEST_TICKS = 5_000_000;

export const BacktestOptionsSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    tickMs: z.number().int().positive('tickMs must be above 0'),
  })
  .strict()
  .refine((o) => o.from <= o.to, { message: 'from must not be after to', path: ['to'] })
  .refine((o) => (o.to - o.from) / o.tickMs <= MAX_BACKTEST_TICKS, {
    message: `at most ${MAX_BACKTEST_TICKS} ticks: widen tickMs or shorten the range`,
    path: ['tickMs'],
  });
export type BacktestOptions = z.infer<typeof BacktestOptionsSchema>;

export type BacktestResult = {
  transitions: AlarmTransition[];
  /** Raises and level changes per level name entered. */
  countsByLevel: Record<string, number>;
  /** The same per warning colour. */
  countsByColour: Record<Colour, number>;
  /** State at `to`. */
  finalState: RuleState;
};

function inRange<T extends { ts: number }>(items: readonly T[], from: number, to: number): T[] {
  return items.filter((x) => x.ts >= from && x.ts <= to).sort((a, b) => a.ts - b.ts);
}

/**
 * Replays stored data through a rule (not necessarily live, and evaluated even if disabled) from
 * a fresh state started at `from`, with a tick every `tickMs` up to `to`, exactly as the worker
 * would have. Deadlines fire at their own time whatever the tick spacing, so `tickMs` only
 * changes how the work is cut. Data outside [from, to] is ignored.
 */
export function backtest(rule: RuleDocument, readings: readonly JobReading[], positions: readonly JobPosition[], options: BacktestOptions): BacktestResult {
  const parsed = BacktestOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new RuleError(
      RuleErrorCode.BacktestOptions,
      'invalid backtest options',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  const { from, to, tickMs } = parsed.data;
  const live: RuleDocument = rule.enabled ? rule : { ...rule, enabled: true };
  const rs = inRange(readings, from, to);
  const ps = inRange(positions, from, to);

  const transitions: AlarmTransition[] = [];
  let state = evaluateRule(live, undefined, NO_INPUTS, from).state;
  let i = 0;
  let j = 0;
  for (let tick = from; tick < to; ) {
    tick = Math.min(tick + tickMs, to);
    const batchR: JobReading[] = [];
    const batchP: JobPosition[] = [];
    for (let r = rs[i]; r !== undefined && r.ts <= tick; r = rs[++i]) batchR.push(r);
    for (let p = ps[j]; p !== undefined && p.ts <= tick; p = ps[++j]) batchP.push(p);
    const res = evaluateRule(live, state, { readings: batchR, positions: batchP }, tick);
    state = res.state;
    transitions.push(...res.transitions);
  }
  // Inputs exactly at `from` when from = to.
  if (i < rs.length || j < ps.length) {
    const res = evaluateRule(live, state, { readings: rs.slice(i), positions: ps.slice(j) }, to);
    state = res.state;
    transitions.push(...res.transitions);
  }

  const countsByLevel: Record<string, number> = {};
  const countsByColour: Record<Colour, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const t of transitions) {
    if (t.kind === 'clear' || t.level === null || t.colour === null) continue;
    countsByLevel[t.level] = (countsByLevel[t.level] ?? 0) + 1;
    countsByColour[t.colour] += 1;
  }
  return { transitions, countsByLevel, countsByColour, finalState: state };
}
