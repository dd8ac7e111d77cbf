import { HazardError } from '@hazardwatch/observability';

export const DbErrorCode = {
  MigrationFailed: 'HW_DB_MIGRATION_FAILED',
  TimescaleUnavailable: 'HW_DB_TIMESCALE_UNAVAILABLE',
  SiteFileInvalid: 'HW_DB_SITE_FILE_INVALID',
  Conflict: 'HW_DB_CONFLICT',
} as const;

export class DbError extends HazardError {}
