import type { AlarmTransition, Colour, RuleDocument } from '@hazardwatch/contracts';
import type { SubjectState } from './state.js';

/** Facts of the subject a transition is about. */
export type SubjectFacts = { readonly value: number | null; readonly pointIds: readonly number[]; readonly vehicleId: string | null };

/** Facts read from the subject's name alone (for alarms of subjects a rule no longer has). */
export function factsFromSubject(subject: string, value: number | null): SubjectFacts {
  const [prefix, rest] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)];
  if (prefix === 'point' && /^\d+$/.test(rest)) return { value, pointIds: [Number(rest)], vehicleId: null };
  if (prefix === 'vehicle') return { value, pointIds: [], vehicleId: rest };
  return { value, pointIds: [], vehicleId: null };
}

const MAX_MESSAGE = 500;

/**
 * Builds one transition and advances the subject's sequence. The id is a pure function of the
 * rule, version, subject, the subject's transition count, kind and time, so a retried job that
 * starts from the same state yields the same ids (storing them twice is a no-op), and two
 * transitions of one subject at the same millisecond still differ. The level is left out of the
 * id (the count already makes it unique) to keep it within the contract's 200 characters even
 * with 64-character rule and vehicle ids.
 */
export function buildTransition(
  rule: RuleDocument,
  subject: string,
  ss: SubjectState,
  kind: AlarmTransition['kind'],
  level: { name: string; colour: Colour } | null,
  facts: SubjectFacts,
  at: number,
  message: string,
): AlarmTransition {
  const seq = ss.seq;
  ss.seq = seq + 1;
  return {
    id: `${rule.id}:${rule.version}:${subject}:${seq}:${kind}:${at}`,
    ruleId: rule.id,
    ruleVersion: rule.version,
    subject,
    enterpriseId: rule.enterpriseId,
    hazardSourceId: rule.hazardSourceId,
    vehicleId: facts.vehicleId ?? rule.vehicleId,
    pointIds: [...facts.pointIds],
    kind,
    category: rule.category,
    level: level?.name ?? null,
    colour: level?.colour ?? null,
    latching: rule.latching,
    value: facts.value,
    at,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
  };
}
