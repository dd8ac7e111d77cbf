import { HazardousChemicalSchema } from '@hazardwatch/contracts';
import { z } from 'zod';
import { Gb18218Error } from './errors.js';
import { roundSig } from './round.js';

/**
 * A chemical on a unit, for identification: the contracts' HazardousChemical, with β optional
 * because identification needs only q and Q.
 */
export const IdentifyChemicalSchema = HazardousChemicalSchema.partial({ beta: true });
export type IdentifyChemical = z.infer<typeof IdentifyChemicalSchema>;

/** Input of {@link identify}: every hazardous chemical present in one production or storage unit. */
export const IdentifyInputSchema = z.array(IdentifyChemicalSchema).max(200);
export type IdentifyInput = z.infer<typeof IdentifyInputSchema>;

/** One term of S: q, Q and q/Q for one chemical. */
export const IdentificationTermSchema = z
  .object({
    name: z.string(),
    cas: z.string().optional(),
    /** Actual quantity q in tonnes (the design maximum for tanks, vessels and stores). */
    quantityT: z.number(),
    /** Critical quantity Q in tonnes. */
    criticalQuantityT: z.number(),
    /** q/Q. */
    ratio: z.number(),
  })
  .strict();
export type IdentificationTerm = z.infer<typeof IdentificationTermSchema>;

/** Result of {@link identify}, with its working. */
export const IdentificationSchema = z
  .object({
    terms: z.array(IdentificationTermSchema),
    /** Identification index S = Σ q/Q (formula (1) of GB 18218-2018). */
    s: z.number(),
    /** S ≥ 1: the unit is a major hazard source of hazardous chemicals. */
    isMajorHazardSource: z.boolean(),
  })
  .strict();
export type Identification = z.infer<typeof IdentificationSchema>;

/** Throws unless q ≥ 0 and Q > 0, both finite (what the schema guarantees). */
function checkQuantities(c: IdentifyChemical): void {
  if (!Number.isFinite(c.quantityT) || c.quantityT < 0) throw new Gb18218Error('quantityT (q) must be a finite number ≥ 0');
  if (!Number.isFinite(c.criticalQuantityT) || c.criticalQuantityT <= 0) throw new Gb18218Error('criticalQuantityT (Q) must be a finite number > 0');
}

/** The fields every term of the working shares (name, CAS, q, Q, q/Q). */
export function identificationTerm(c: IdentifyChemical): IdentificationTerm {
  checkQuantities(c);
  return {
    name: c.name,
    ...(c.cas === undefined ? {} : { cas: c.cas }),
    quantityT: c.quantityT,
    criticalQuantityT: c.criticalQuantityT,
    ratio: roundSig(c.quantityT / c.criticalQuantityT),
  };
}

/**
 * Identifies a major hazard source (GB 18218-2018 formula (1)): S = Σ qᵢ/Qᵢ over the hazardous
 * chemicals of one unit; S ≥ 1 makes the unit a major hazard source. With a single chemical this
 * is q ≥ Q. S is rounded to 12 significant figures before the comparison (see README).
 *
 * Pure; the input is expected to have been parsed with {@link IdentifyInputSchema}.
 */
export function identify(chemicals: readonly IdentifyChemical[]): Identification {
  const terms = chemicals.map(identificationTerm);
  let sum = 0;
  for (const c of chemicals) sum += c.quantityT / c.criticalQuantityT;
  const s = roundSig(sum);
  return { terms, s, isMajorHazardSource: s >= 1 };
}
