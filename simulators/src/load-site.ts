import type { SiteFile } from '@hazardwatch/contracts';
import type { SiteFileResult } from '@hazardwatch/db';

/**
 * Puts a site into the registry with `@hazardwatch/db` (`createPool`, `applySiteFile`:
 * idempotent upserts in one transaction). The only place the simulators touch the
 * database; imported lazily so the CLI needs no database unless `--load-site` is given.
 */
export async function loadSiteIntoRegistry(databaseUrl: string, site: SiteFile): Promise<SiteFileResult> {
  const db = await import('@hazardwatch/db');
  const pool = db.createPool(databaseUrl, { max: 1, applicationName: 'hazardwatch-sim' });
  try {
    return await db.applySiteFile(pool, site);
  } finally {
    await pool.end();
  }
}
