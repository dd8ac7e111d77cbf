import { z } from 'zod';
import { Gb18218Error } from './errors.js';

export const AlphaBandSchema = z
  .object({
    /** Fewest people in the band (inclusive). */
    minPeople: z.number().int().nonnegative(),
    /** Most people in the band (inclusive); null = no upper bound. */
    maxPeople: z.number().int().nonnegative().nullable(),
    alpha: z.number().positive(),
    labelZh: z.string().min(1),
  })
  .strict();
export type AlphaBand = z.infer<typeof AlphaBandSchema>;

/**
 * GB 18218-2018 Table 5 「暴露人员校正系数α取值表」: α by the number of people who may be
 * exposed outside the site, counted as the resident population within 500 m of the site
 * boundary.
 *
 * Boundary at 100: the standard's band is 「100人以上」. In Chinese standards and legal
 * drafting 以上 includes the number itself, and the next band, 50~99人, stops at 99; so exactly
 * 100 people take α = 2.0. (The product's domain notes write "> 100", which would leave 100 in
 * no band; we follow the standard.)
 */
export const TABLE5_ALPHA_BANDS: readonly AlphaBand[] = Object.freeze(
  (
    [
      { minPeople: 100, maxPeople: null, alpha: 2.0, labelZh: '100人以上' },
      { minPeople: 50, maxPeople: 99, alpha: 1.5, labelZh: '50~99人' },
      { minPeople: 30, maxPeople: 49, alpha: 1.2, labelZh: '30~49人' },
      { minPeople: 1, maxPeople: 29, alpha: 1.0, labelZh: '1~29人' },
      { minPeople: 0, maxPeople: 0, alpha: 0.5, labelZh: '0人' },
    ] satisfies AlphaBand[]
  ).map((b) => Object.freeze(b)),
);

/** The Table 5 band a head count falls in. Throws {@link Gb18218Error} unless it is a non-negative integer. */
export function alphaBandFor(peopleWithin500m: number): AlphaBand {
  if (!Number.isInteger(peopleWithin500m) || peopleWithin500m < 0) throw new Gb18218Error('peopleWithin500m must be a non-negative integer (a head count)');
  for (const band of TABLE5_ALPHA_BANDS) if (peopleWithin500m >= band.minPeople) return band;
  // Unreachable: the last band starts at 0.
  throw new Gb18218Error('no α band for this head count');
}

/** α for the people within 500 m of the site boundary (Table 5). */
export function alphaFor(peopleWithin500m: number): number {
  return alphaBandFor(peopleWithin500m).alpha;
}
