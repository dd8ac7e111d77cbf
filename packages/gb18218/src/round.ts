/**
 * Significant figures kept in every computed ratio, S and R.
 *
 * Why: binary floating point turns sums that are exact on paper into near misses
 * (ten terms of 0.1 add up to 0.9999999999999999, 0.75 / 0.3 is 2.5000000000000004), and the
 * standard's thresholds (S ≥ 1, R ≥ 10 / 50 / 100) are compared with `≥`. Twelve significant
 * figures is far finer than any quantity a site can measure, and removes that noise before the
 * threshold is compared, so what is shown is also what was compared.
 */
const SIGNIFICANT_FIGURES = 12;

/** Rounds to {@link SIGNIFICANT_FIGURES} significant figures. */
export function roundSig(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(SIGNIFICANT_FIGURES));
}
