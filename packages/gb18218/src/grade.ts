import { HazardousChemicalSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { alphaBandFor } from './alpha.js';
import { Gb18218Error } from './errors.js';
import { IdentificationTermSchema, identificationTerm } from './identify.js';
import { levelFor, MajorHazardLevelSchema } from './level.js';
import { roundSig } from './round.js';

/**
 * Input of {@link grade}: the chemicals of one unit (q, Q, β each) and the people within 500 m
 * of the site boundary. The head count is required here, unlike in HazardSource where it
 * defaults to 0: a missing count must not silently give the smallest α (0.5).
 */
export const GradeInputSchema = z
  .object({
    chemicals: z.array(HazardousChemicalSchema).max(200),
    peopleWithin500m: z.number().int().nonnegative(),
  })
  .strict();
export type GradeInput = z.infer<typeof GradeInputSchema>;

/** One term of R: q, Q, β, q/Q and β·q/Q for one chemical. */
export const GradingTermSchema = IdentificationTermSchema.extend({
  /** Correction factor β (Table 3 or 4). */
  beta: z.number(),
  /** β·q/Q. */
  weightedRatio: z.number(),
}).strict();
export type GradingTerm = z.infer<typeof GradingTermSchema>;

/** Result of {@link grade}, with its working. */
export const GradingSchema = z
  .object({
    terms: z.array(GradingTermSchema),
    /** Identification index S = Σ q/Q. */
    s: z.number(),
    isMajorHazardSource: z.boolean(),
    /** Σ β·q/Q. */
    weightedSum: z.number(),
    peopleWithin500m: z.number(),
    /** α from Table 5. */
    alpha: z.number(),
    /** The Table 5 band α came from, as the standard labels it (e.g. 100人以上). */
    alphaBandZh: z.string(),
    /** Grading index R = α · Σ β·q/Q (formula (2) of GB 18218-2018). */
    r: z.number(),
    /** Level from Table 6; null when S < 1 (only a major hazard source is graded). */
    level: MajorHazardLevelSchema.nullable(),
  })
  .strict();
export type Grading = z.infer<typeof GradingSchema>;

/**
 * Grades a major hazard source (GB 18218-2018 formula (2) and Tables 5-6):
 * R = α · Σ βᵢ·qᵢ/Qᵢ; level 1 R ≥ 100, 2 50 ≤ R < 100, 3 10 ≤ R < 50, 4 R < 10.
 * S, Σβq/Q and R are rounded to 12 significant figures before they are compared (see README).
 * R is always computed so the working can be shown; `level` is null when the unit is not a
 * major hazard source (S < 1).
 *
 * Pure; the input is expected to have been parsed with {@link GradeInputSchema}.
 */
export function grade(input: GradeInput): Grading {
  const band = alphaBandFor(input.peopleWithin500m);
  let sum = 0;
  let weighted = 0;
  const terms = input.chemicals.map((c): GradingTerm => {
    const term = identificationTerm(c);
    if (!Number.isFinite(c.beta) || c.beta <= 0) throw new Gb18218Error('beta (β) must be a finite number > 0');
    const ratio = c.quantityT / c.criticalQuantityT;
    sum += ratio;
    weighted += c.beta * ratio;
    return { ...term, beta: c.beta, weightedRatio: roundSig(c.beta * ratio) };
  });
  const s = roundSig(sum);
  const r = roundSig(band.alpha * weighted);
  const isMajorHazardSource = s >= 1;
  return {
    terms,
    s,
    isMajorHazardSource,
    weightedSum: roundSig(weighted),
    peopleWithin500m: input.peopleWithin500m,
    alpha: band.alpha,
    alphaBandZh: band.labelZh,
    r,
    level: isMajorHazardSource ? levelFor(r) : null,
  };
}
