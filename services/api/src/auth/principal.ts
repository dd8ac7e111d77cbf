import { EnterpriseIdSchema, RegionPrefixSchema } from '@hazardwatch/contracts';
import { z } from 'zod';

/**
 * Roles of an API key (issue 7 "Who may do what"):
 * - admin: everything, every enterprise;
 * - enterprise_manager: its enterprise's register, risk colour, rules, keys of its staff;
 * - operator: a control room of one enterprise (reads; alarm actions);
 * - regulator: reads every enterprise whose region code starts with its prefix;
 * - integrator: provisions devices, points and vehicle terminals of one enterprise.
 */
export const RoleSchema = z.enum(['admin', 'enterprise_manager', 'operator', 'regulator', 'integrator']);
export type Role = z.infer<typeof RoleSchema>;

export const ENTERPRISE_ROLES = ['enterprise_manager', 'operator', 'integrator'] as const;

/** Who is calling: the key's id and name (for audit) and its role with its scope. */
export const PrincipalSchema = z.discriminatedUnion('role', [
  z.object({ keyId: z.string(), name: z.string(), role: z.literal('admin') }),
  z.object({ keyId: z.string(), name: z.string(), role: z.enum(ENTERPRISE_ROLES), enterpriseId: EnterpriseIdSchema }),
  z.object({ keyId: z.string(), name: z.string(), role: z.literal('regulator'), regionPrefix: RegionPrefixSchema }),
]);
export type Principal = z.infer<typeof PrincipalSchema>;

/** The actor recorded in histories (risk colours, alarm events): `key:<id>`. */
export function actorOf(p: Principal): string {
  return `key:${p.keyId}`;
}
