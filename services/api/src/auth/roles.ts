import type { Role } from './principal.js';

/**
 * Which roles may call a route, declared on every route as `config.roles` (a route
 * without it refuses to register). Scope (which records) is separate: see scope.ts.
 */
export const ROLES = {
  /** Reading the register, telemetry, gradings, risk colours. */
  read: ['admin', 'enterprise_manager', 'operator', 'regulator', 'integrator'],
  /** Changing the register of an enterprise (hazard sources, geofences, risk colour, site import). */
  manage: ['admin', 'enterprise_manager'],
  /** Provisioning devices, measuring points and vehicle terminals with their broker credentials. */
  provision: ['admin', 'enterprise_manager', 'integrator'],
  /** What only an administrator does (enterprises, the broker's password file). */
  admin: ['admin'],
  /** Dead letters: raw device payloads, for whoever runs or integrates the plant. */
  deadLetters: ['admin', 'enterprise_manager', 'operator', 'integrator'],
  /** Managing API keys (an enterprise manager only for its own staff). */
  keys: ['admin', 'enterprise_manager'],
} as const satisfies Record<string, readonly Role[]>;
