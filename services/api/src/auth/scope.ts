import type { DataScope } from '@hazardwatch/db';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { Principal } from './principal.js';

/**
 * The scope resolver: the one place a caller's key becomes the set of enterprises it
 * may see. Every route passes the result to the repository queries, which filter on it
 * in SQL, so a record outside it is never read (and reads as 404).
 * - admin → every enterprise;
 * - regulator → enterprises whose region code starts with its prefix;
 * - enterprise roles → their one enterprise.
 */
export function scopeOf(p: Principal): DataScope {
  switch (p.role) {
    case 'admin':
      return { kind: 'all' };
    case 'regulator':
      return { kind: 'region', regionPrefix: p.regionPrefix };
    case 'enterprise_manager':
    case 'operator':
    case 'integrator':
      return { kind: 'enterprise', enterpriseId: p.enterpriseId };
  }
}

export interface Access {
  principal: Principal;
  scope: DataScope;
}

/** The authenticated caller of a request and its scope (authentication ran in `onRequest`). */
export function accessOf(req: FastifyRequest): Access {
  const principal = req.principal;
  if (!principal) throw new ApiError('HW_API_UNAUTHENTICATED', 'an API key is required');
  return { principal, scope: scopeOf(principal) };
}
