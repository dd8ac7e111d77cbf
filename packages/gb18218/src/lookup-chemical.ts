import { z } from 'zod';
import { HazardCategorySchema } from './hazard-category.js';
import { TABLE1_CHEMICALS, type Table1Entry } from './table1.js';
import { table3Beta } from './table3.js';
import { betaForCategories, type Table4BetaOverrides, Table4BetaOverridesSchema } from './table4.js';

/** Options of {@link lookupChemical}. */
export const LookupOptionsSchema = z
  .object({
    /** Table 4 β replacements, e.g. `{ J2: 2 }` (see TABLE4_BETA). */
    table4BetaOverrides: Table4BetaOverridesSchema.optional(),
  })
  .strict();
export type LookupOptions = z.infer<typeof LookupOptionsSchema>;

/** Q and the default β of one Table 1 chemical. */
export const ChemicalDefaultsSchema = z
  .object({
    /** Row number in Table 1. */
    no: z.number().int(),
    nameZh: z.string(),
    /** When present, the row (and its Q) applies only within this qualification. */
    qualifierZh: z.string().optional(),
    nameEn: z.string(),
    qualifierEn: z.string().optional(),
    cas: z.array(z.string()),
    /** Critical quantity Q in tonnes (Table 1). */
    criticalQuantityT: z.number(),
    /** Default β; null when this package states none and the caller must supply it. */
    beta: z.number().nullable(),
    /** `table3` (named toxic gas), `table4` (by `categories`), or null (unassigned). */
    betaSource: z.enum(['table3', 'table4']).nullable(),
    /** Table 4 categories β was taken from (this package's reading; empty unless `betaSource` is table4). */
    categories: z.array(HazardCategorySchema),
  })
  .strict();
export type ChemicalDefaults = z.infer<typeof ChemicalDefaultsSchema>;

/** Result of {@link lookupChemical}. */
export const ChemicalLookupSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('found'), chemical: ChemicalDefaultsSchema }).strict(),
  /** Several rows share the key (e.g. the six nitrocellulose rows share CAS 9004-70-0); pick by qualifier. */
  z
    .object({ kind: z.literal('ambiguous'), candidates: z.array(ChemicalDefaultsSchema) })
    .strict(),
  z.object({ kind: z.literal('not_found') }).strict(),
]);
export type ChemicalLookup = z.infer<typeof ChemicalLookupSchema>;

/** Lookup key: NFKC (full-width brackets and digits, subscripts), lower case, no whitespace. */
function normalise(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

function keysOf(row: Table1Entry): string[] {
  const keys = [row.nameZh, row.nameEn, ...row.aliasesZh, ...row.aliasesEn, ...row.cas, ...(row.lookupKeys ?? [])];
  if (row.qualifierZh !== undefined) keys.push(`${row.nameZh}(${row.qualifierZh})`);
  if (row.qualifierEn !== undefined) keys.push(`${row.nameEn}(${row.qualifierEn})`);
  return keys;
}

const INDEX: ReadonlyMap<string, readonly Table1Entry[]> = (() => {
  const index = new Map<string, Table1Entry[]>();
  for (const row of TABLE1_CHEMICALS) {
    for (const key of new Set(keysOf(row).map(normalise))) {
      const rows = index.get(key);
      if (rows) rows.push(row);
      else index.set(key, [row]);
    }
  }
  return index;
})();

function defaultsOf(row: Table1Entry, overrides: Table4BetaOverrides): ChemicalDefaults {
  const basis = row.betaBasis;
  return {
    no: row.no,
    nameZh: row.nameZh,
    ...(row.qualifierZh === undefined ? {} : { qualifierZh: row.qualifierZh }),
    nameEn: row.nameEn,
    ...(row.qualifierEn === undefined ? {} : { qualifierEn: row.qualifierEn }),
    cas: [...row.cas],
    criticalQuantityT: row.criticalQuantityT,
    beta: basis.kind === 'table3' ? table3Beta(basis.gas) : basis.kind === 'table4' ? betaForCategories(basis.categories, overrides) : null,
    betaSource: basis.kind === 'unassigned' ? null : basis.kind,
    categories: basis.kind === 'table4' ? [...basis.categories] : [],
  };
}

/**
 * Finds a Table 1 chemical by CAS number, Chinese or English name, alias, or name with its
 * qualifier (e.g. `甲醛（含量>90%）`), and returns its Q and default β.
 *
 * Matching is exact after normalisation (full-width forms folded, case and whitespace ignored);
 * there is no fuzzy matching, so a miss means "not named in Table 1": take Q from Table 2 by
 * the chemical's hazard categories instead. A found row may carry a qualifier (concentration,
 * form): the caller must check that the material on site falls within it.
 */
export function lookupChemical(casOrName: string, options: LookupOptions = {}): ChemicalLookup {
  const rows = INDEX.get(normalise(casOrName));
  if (!rows || rows.length === 0) return { kind: 'not_found' };
  const overrides = options.table4BetaOverrides ?? {};
  const [only, ...rest] = rows;
  if (only && rest.length === 0) return { kind: 'found', chemical: defaultsOf(only, overrides) };
  return { kind: 'ambiguous', candidates: rows.map((r) => defaultsOf(r, overrides)) };
}
