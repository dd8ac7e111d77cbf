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

/**
 * The caller's scope narrowed by a list's filters, in the shape of the alarm and rule stores
 * (`enterpriseIds` and/or `regionPrefix`, every given one must hold). An enterprise scope
 * always yields its enterprise; a region scope always yields a prefix at least as narrow as
 * its own. Null: the filters ask for something outside the scope (the answer is empty).
 */
export function storeScopeOf(scope: DataScope, filter: { enterpriseId?: string | undefined; region?: string | undefined }): StoreScope | null {
  const enterpriseIds = filter.enterpriseId === undefined ? undefined : [filter.enterpriseId];
  switch (scope.kind) {
    case 'all':
      return { enterpriseIds, regionPrefix: filter.region };
    case 'enterprise':
      if (filter.enterpriseId !== undefined && filter.enterpriseId !== scope.enterpriseId) return null;
      return { enterpriseIds: [scope.enterpriseId], regionPrefix: filter.region };
    case 'region': {
      const r = filter.region;
      const regionPrefix = r === undefined || scope.regionPrefix.startsWith(r) ? scope.regionPrefix : r.startsWith(scope.regionPrefix) ? r : null;
      if (regionPrefix === null) return null;
      return { enterpriseIds, regionPrefix };
    }
  }
}

export interface StoreScope {
  enterpriseIds: string[] | undefined;
  regionPrefix: string | undefined;
}
