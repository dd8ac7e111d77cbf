/**
 * Whether a database error is an outage (retry the same work later) or a
 * refusal of this data (retrying will never help). Errors with no SQLSTATE are
 * network failures: transient.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (!/^[0-9A-Z]{5}$/.test(code)) return true;
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources
    code.startsWith('57P') || // admin/crash shutdown, cannot connect now
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    code === '55P03' || // lock not available
    code === '25006' // read-only transaction (failover in progress)
  );
}

/** Remove what PostgreSQL text cannot hold (NUL) and unpaired surrogates. */
export function pgSafeText(s: string): string {
  return s.replaceAll('\0', '\\0').toWellFormed();
}
