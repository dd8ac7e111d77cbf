import { z } from 'zod';
import { Gb18218Error } from './errors.js';
import { type HazardCategory, HazardCategorySchema } from './hazard-category.js';

/** β for every hazard category (the shape of GB 18218-2018 Table 4). */
export const Table4BetaSchema = z.record(HazardCategorySchema, z.number().positive());
export type Table4Beta = z.infer<typeof Table4BetaSchema>;

/**
 * Per-category replacements for Table 4 β, e.g. `{ J2: 2 }`. Exists because copies of the
 * standard disagree on J2 (see {@link TABLE4_BETA}); a deployment picks its reading in config.
 */
export const Table4BetaOverridesSchema = z.partialRecord(HazardCategorySchema, z.number().positive());
export type Table4BetaOverrides = z.infer<typeof Table4BetaOverridesSchema>;

/**
 * GB 18218-2018 Table 4 「未在表3中列举的危险化学品校正系数β取值表」: β by hazard category
 * for a chemical that Table 3 does not name.
 *
 * J2 is 1 here, as in the copies of the standard we checked and in the product's domain notes;
 * one secondary source gives 2. Pass `{ J2: 2 }` as overrides to use that reading.
 */
export const TABLE4_BETA: Readonly<Table4Beta> = Object.freeze({
  J1: 4,
  J2: 1,
  J3: 2,
  J4: 2,
  J5: 1,
  'W1.1': 2,
  'W1.2': 2,
  'W1.3': 2,
  W2: 1.5,
  W3: 1,
  W4: 1,
  'W5.1': 1.5,
  'W5.2': 1,
  'W5.3': 1,
  'W5.4': 1,
  'W6.1': 1.5,
  'W6.2': 1,
  'W7.1': 1.5,
  'W7.2': 1,
  W8: 1,
  'W9.1': 1,
  'W9.2': 1,
  W10: 1,
  W11: 1,
});

/**
 * β for a chemical not named in Table 3, from its hazard categories (Table 4, with overrides).
 *
 * A chemical with several hazards takes the largest of their β. The standard states the
 * matching rule only for Q (the lowest Q wins); taking the largest β is this package's
 * conservative reading of it, not a figure from the standard.
 */
export function betaForCategories(categories: readonly HazardCategory[], overrides: Table4BetaOverrides = {}): number {
  if (categories.length === 0) throw new Gb18218Error('betaForCategories needs at least one hazard category');
  let beta = 0;
  for (const c of categories) beta = Math.max(beta, overrides[c] ?? TABLE4_BETA[c]);
  return beta;
}
