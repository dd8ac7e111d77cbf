import type { DataScope, Pool } from '@hazardwatch/db';
import { invalid, notFound } from './errors.js';

/** The repository calls a PUT of a registry entity owned by one enterprise needs. */
export interface RegisteredRepo<T extends { id: string; enterpriseId: string }> {
  /** The noun in answers: `device`, `hazard source`. */
  noun: string;
  get(db: Pool, scope: DataScope, id: string): Promise<T | null>;
  update(db: Pool, scope: DataScope, entity: T): Promise<boolean>;
}

/**
 * PUT of a hazard source, device, vehicle or geofence: the body's id must be the path's,
 * and the entity stays in its enterprise (the registry never moves one between tenants;
 * site-file imports refuse it too, see idsOwnedElsewhere). Answers the stored entity.
 */
export async function replaceRegistered<T extends { id: string; enterpriseId: string }>(
  pool: Pool,
  scope: DataScope,
  repo: RegisteredRepo<T>,
  pathId: string,
  body: T,
): Promise<T> {
  if (body.id !== pathId) throw invalid('body.id', 'must equal the id in the path');
  const current = await repo.get(pool, scope, pathId);
  if (!current) throw notFound(repo.noun);
  if (body.enterpriseId !== current.enterpriseId) throw invalid('body.enterpriseId', `a ${repo.noun} cannot move to another enterprise`);
  if (!(await repo.update(pool, scope, body))) throw notFound(repo.noun);
  const updated = await repo.get(pool, scope, pathId);
  if (!updated) throw notFound(repo.noun);
  return updated;
}
