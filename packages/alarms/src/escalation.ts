import { type Alarm, ESCALATION_TIERS, type EscalationTier } from '@hazardwatch/contracts';
import { type EscalationPolicy, resolveEscalation } from './escalation-policy.js';
import { awaitsAcknowledgement } from './state-machine.js';

/**
 * One notification of an unacknowledged alarm's schedule.
 * Stage 0 is the enterprise itself (it heard of the alarm when raised); stage k ≥ 1
 * is the k-th tier above it. `reminder` 0 is the escalation that opens a stage,
 * 1, 2, … the reminders within it. `tiers` lists every tier told so far, lowest
 * first, so a dispatcher that missed a step (it was down) can tell them all.
 */
export type EscalationStep = {
  kind: 'escalation' | 'reminder';
  tier: EscalationTier;
  stage: number;
  reminder: number;
  dueAt: number;
  tiers: EscalationTier[];
  /** `<stage>.<reminder>`: unique within one unacknowledged episode. */
  key: string;
};

/** Options of the escalation functions. */
export type EscalationOptions = {
  /**
   * The enterprise sits in a chemical park with its own regulator (Enterprise.park).
   * False by default: no dispatch scope names a park yet, and a tier with nobody
   * in it would only make the alarm wait one more period before the county hears.
   */
  inPark?: boolean;
};

/** The tiers above the enterprise an alarm may climb, lowest first, up to `highestTier`. */
export function escalationLadder(highestTier: EscalationTier, options: EscalationOptions = {}): EscalationTier[] {
  const top = ESCALATION_TIERS.indexOf(highestTier);
  return ESCALATION_TIERS.filter((t, i) => i > 0 && i <= top && (t !== 'park' || options.inPark === true));
}

type Schedule = { since: number; everyMs: number; remindMs: number; ladder: EscalationTier[] };

function scheduleOf(alarm: Alarm, policy: EscalationPolicy, regionCode: string, options: EscalationOptions): Schedule | null {
  // The region code is checked even when nothing is due, so a bad one shows at once.
  const rule = resolveEscalation(policy, regionCode, alarm.colour);
  if (!awaitsAcknowledgement(alarm)) return null;
  return {
    since: alarm.unacknowledgedSince ?? alarm.raisedAt,
    everyMs: rule.escalateAfterMs,
    remindMs: rule.reminderEveryMs,
    ladder: escalationLadder(rule.highestTier, options),
  };
}

function step(s: Schedule, stage: number, reminder: number): EscalationStep {
  const tiers = s.ladder.slice(0, stage);
  return {
    kind: reminder === 0 ? 'escalation' : 'reminder',
    tier: tiers.at(-1) ?? 'enterprise',
    stage,
    reminder,
    dueAt: s.since + stage * s.everyMs + reminder * s.remindMs,
    tiers: ['enterprise', ...tiers],
    key: `${stage}.${reminder}`,
  };
}

/** The stage the schedule is in at `now` (0 before it starts). */
function stageAt(s: Schedule, now: number): number {
  if (now < s.since || s.ladder.length === 0) return 0;
  return Math.min(s.ladder.length, Math.floor((now - s.since) / s.everyMs));
}

/**
 * The next notification strictly after `now` for an alarm left unacknowledged, or
 * null when nothing awaits an acknowledgement (acknowledged, shelved, suppressed,
 * out of service, closed). Counted from `unacknowledgedSince`; the timing is the
 * policy's for the alarm's colour and the enterprise's region code (longest prefix).
 * When a reminder and an escalation fall together, the escalation is sent.
 */
export function nextEscalation(
  alarm: Alarm,
  policy: EscalationPolicy,
  regionCode: string,
  now: number,
  options: EscalationOptions = {},
): EscalationStep | null {
  const s = scheduleOf(alarm, policy, regionCode, options);
  if (s === null) return null;
  const stage = stageAt(s, now);
  const stageStart = s.since + stage * s.everyMs;
  const nextEscalationAt = stage < s.ladder.length ? stageStart + s.everyMs : Number.POSITIVE_INFINITY;
  const reminder = Math.max(1, Math.floor((now - stageStart) / s.remindMs) + 1);
  if (stageStart + reminder * s.remindMs < nextEscalationAt) return step(s, stage, reminder);
  return step(s, stage + 1, 0);
}

/**
 * The latest notification due at or before `now`, or null (nothing due yet, or
 * nothing awaits an acknowledgement). A dispatcher's tick sends it unless its `key`
 * was sent already; missed reminders are not replayed, only the latest counts.
 */
export function currentEscalation(
  alarm: Alarm,
  policy: EscalationPolicy,
  regionCode: string,
  now: number,
  options: EscalationOptions = {},
): EscalationStep | null {
  const s = scheduleOf(alarm, policy, regionCode, options);
  if (s === null || now < s.since) return null;
  const stage = stageAt(s, now);
  const reminder = Math.floor((now - (s.since + stage * s.everyMs)) / s.remindMs);
  if (stage === 0 && reminder === 0) return null;
  return step(s, stage, reminder);
}

/**
 * Event id of an escalation notification: deterministic, so a dispatcher that
 * restarts and sends the same step again produces the same idempotency key. It
 * includes when the episode began, so a later episode of the alarm starts afresh.
 */
export function escalationEventId(alarm: Alarm, s: EscalationStep): string {
  return `${alarm.id}:escalation:${alarm.unacknowledgedSince ?? alarm.raisedAt}:${s.key}`;
}
