import type { DamTypeSchema } from '@hazardwatch/contracts';
import type { z } from 'zod';

export type DamType = z.infer<typeof DamTypeSchema>;

/**
 * GB 50863-2013 minimum freeboard (安全超高) and dry beach length by dam grade (index 0 = grade 1).
 * [unconfirmed] The standard's tables are images in every copy found; these figures are
 * transcribed from secondary sources (docs/domain.md) and every preset lets them be overridden.
 * No minimum freeboard for downstream / centreline dams is known here: those presets require it.
 */
export const GB50863_MINIMUMS_CONFIRMED = false;

export const GB50863_MIN_FREEBOARD_M: Readonly<Record<DamType, readonly number[] | null>> = {
  upstream: [1.5, 1.0, 0.7, 0.5, 0.4],
  downstream: null,
  centreline: null,
};

export const GB50863_MIN_BEACH_M: Readonly<Record<DamType, readonly number[] | null>> = {
  upstream: [150, 100, 70, 50, 40],
  downstream: [100, 70, 50, 35, 25],
  centreline: [100, 70, 50, 35, 25],
};

/** The table's figure for a grade (1-5), or null when the product has none. */
export function minimumFor(table: Readonly<Record<DamType, readonly number[] | null>>, type: DamType, grade: number): number | null {
  return table[type]?.[grade - 1] ?? null;
}
