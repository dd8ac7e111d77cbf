import { type AlarmEvent, atLeast, type DispatchScope, type DispatchTarget, type EscalationTier, RegionCodeSchema } from '@hazardwatch/contracts';
import { AlarmError } from './errors.js';

/** The fields of a target that decide whether it gets an event (a stored target or its public view). */
export type TargetFilter = Pick<DispatchTarget, 'scope' | 'minColour' | 'eventTypes' | 'enabled'>;

/**
 * Whether a scope covers an enterprise: its own id exactly, or a region prefix of
 * its GB/T 2260 code. Codes are fixed-width digit strings (province 2, city 2,
 * county 2), so a plain prefix test selects a jurisdiction: 3703 covers 370321 and
 * never 3704xx nor 37030x of another length.
 */
export function scopeCovers(scope: DispatchScope, enterpriseId: string, enterpriseRegionCode: string): boolean {
  if ('enterpriseId' in scope) return scope.enterpriseId === enterpriseId;
  return enterpriseRegionCode.startsWith(scope.regionPrefix);
}

/**
 * The targets that must receive `event`: enabled, subscribed to its type, scoped
 * to its enterprise (by id, or by a prefix of the enterprise's region code), and
 * not asking for more severe events than this one. An event without a colour
 * (enterprise offline/online) passes the colour filter: only its type decides.
 * Order of `targets` is kept. Throws `HW_DISPATCH_BAD_REGION_CODE` for a region
 * code that is not 6 digits: a regulator must never miss an alarm silently.
 */
export function matchTargets<T extends TargetFilter>(
  event: Pick<AlarmEvent, 'type' | 'colour' | 'enterpriseId'>,
  enterpriseRegionCode: string,
  targets: readonly T[],
): T[] {
  if (!RegionCodeSchema.safeParse(enterpriseRegionCode).success)
    throw new AlarmError('HW_DISPATCH_BAD_REGION_CODE', 'the enterprise region code must be 6 digits (GB/T 2260)');
  return targets.filter(
    (t) =>
      t.enabled &&
      t.eventTypes.includes(event.type) &&
      (event.colour === null || atLeast(event.colour, t.minColour)) &&
      scopeCovers(t.scope, event.enterpriseId, enterpriseRegionCode),
  );
}

/**
 * The escalation tier a target stands for, read from its scope: an enterprise
 * target is the control room; a 6-digit prefix a county, 4 a city, 2 a province.
 * A chemical park has no scope of its own yet, so no target maps to `park`.
 */
export function targetTier(scope: DispatchScope): EscalationTier {
  if ('enterpriseId' in scope) return 'enterprise';
  return scope.regionPrefix.length === 6 ? 'county' : scope.regionPrefix.length === 4 ? 'city' : 'province';
}
