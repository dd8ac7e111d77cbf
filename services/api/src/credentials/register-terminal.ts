import { type DataScope, type Pool, type PoolClient, withTransaction } from '@hazardwatch/db';
import { ApiError } from '../errors.js';
import { issueMqttCredential } from './issue-credential.js';

/** The repository calls registering a device or vehicle terminal needs. */
export interface TerminalRepo<T extends { id: string }> {
  kind: 'device' | 'vehicle';
  insert(db: PoolClient, scope: DataScope, terminal: T): Promise<boolean>;
  get(db: PoolClient, scope: DataScope, id: string): Promise<T | null>;
}

/**
 * Register a device or vehicle terminal with its first broker credential, in one
 * transaction so a terminal never exists without one. Null when the terminal's
 * enterprise is not in scope; the password is in the answer and nowhere else.
 */
export async function registerTerminal<T extends { id: string }>(
  pool: Pool,
  scope: DataScope,
  repo: TerminalRepo<T>,
  terminal: T,
): Promise<{ terminal: T; credential: { username: string; password: string } } | null> {
  return withTransaction(pool, async (tx) => {
    if (!(await repo.insert(tx, scope, terminal))) return null;
    const credential = await issueMqttCredential(tx, scope, { kind: repo.kind, id: terminal.id });
    const stored = await repo.get(tx, scope, terminal.id);
    if (!credential || !stored) throw new ApiError('HW_API_INTERNAL', 'internal error');
    return { terminal: stored, credential };
  });
}
