import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// int8 (bigserial, count(*)) as JS numbers: every count and id here fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * A pg pool. Idle-client errors (the server restarting under us) are reported
 * through `onError` instead of crashing the process; the next query reconnects.
 */
export function createPool(connectionString: string, opts: { max?: number; onError?: (err: Error) => void; applicationName?: string } = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'hazardwatch',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => opts.onError?.(err));
  // A checked-out client whose server goes away between two queries emits 'error'
  // itself; without a listener that would crash the process. The query in
  // progress (or the next one) fails and the caller's retry takes over.
  pool.on('connect', (client) => client.on('error', (err) => opts.onError?.(err)));
  return pool;
}

/** Run `fn` in a transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
