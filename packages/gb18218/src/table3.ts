import { z } from 'zod';

/** The toxic gases GB 18218-2018 Table 3 names. */
export const Table3GasSchema = z.enum([
  'carbon_monoxide',
  'sulphur_dioxide',
  'ammonia',
  'ethylene_oxide',
  'hydrogen_chloride',
  'methyl_bromide',
  'chlorine',
  'hydrogen_sulphide',
  'hydrogen_fluoride',
  'nitrogen_dioxide',
  'hydrogen_cyanide',
  'phosgene',
  'phosphine',
  'methyl_isocyanate',
]);
export type Table3Gas = z.infer<typeof Table3GasSchema>;

export const Table3EntrySchema = z
  .object({
    gas: Table3GasSchema,
    nameZh: z.string().min(1),
    nameEn: z.string().min(1),
    /** CAS number: added by this package for matching; Table 3 itself lists names only. */
    cas: z.string(),
    beta: z.number().positive(),
  })
  .strict();
export type Table3Entry = z.infer<typeof Table3EntrySchema>;

const ROWS = {
  carbon_monoxide: { nameZh: '一氧化碳', nameEn: 'carbon monoxide', cas: '630-08-0', beta: 2 },
  sulphur_dioxide: { nameZh: '二氧化硫', nameEn: 'sulphur dioxide', cas: '7446-09-5', beta: 2 },
  ammonia: { nameZh: '氨', nameEn: 'ammonia', cas: '7664-41-7', beta: 2 },
  ethylene_oxide: { nameZh: '环氧乙烷', nameEn: 'ethylene oxide', cas: '75-21-8', beta: 2 },
  hydrogen_chloride: { nameZh: '氯化氢', nameEn: 'hydrogen chloride', cas: '7647-01-0', beta: 3 },
  methyl_bromide: { nameZh: '溴甲烷', nameEn: 'methyl bromide', cas: '74-83-9', beta: 3 },
  chlorine: { nameZh: '氯', nameEn: 'chlorine', cas: '7782-50-5', beta: 4 },
  hydrogen_sulphide: { nameZh: '硫化氢', nameEn: 'hydrogen sulphide', cas: '7783-06-4', beta: 5 },
  hydrogen_fluoride: { nameZh: '氟化氢', nameEn: 'hydrogen fluoride', cas: '7664-39-3', beta: 5 },
  nitrogen_dioxide: { nameZh: '二氧化氮', nameEn: 'nitrogen dioxide', cas: '10102-44-0', beta: 10 },
  hydrogen_cyanide: { nameZh: '氰化氢', nameEn: 'hydrogen cyanide', cas: '74-90-8', beta: 10 },
  phosgene: { nameZh: '碳酰氯', nameEn: 'phosgene (carbonyl chloride)', cas: '75-44-5', beta: 20 },
  phosphine: { nameZh: '磷化氢', nameEn: 'phosphine', cas: '7803-51-2', beta: 20 },
  methyl_isocyanate: { nameZh: '异氰酸甲酯', nameEn: 'methyl isocyanate', cas: '624-83-9', beta: 20 },
} as const satisfies Record<Table3Gas, Omit<Table3Entry, 'gas'>>;

/**
 * GB 18218-2018 Table 3 「毒性气体校正系数β取值表」: β for the named toxic gases, in the
 * standard's order. A chemical named here takes this β; any other takes β from Table 4 by
 * its hazard category.
 */
export const TABLE3_TOXIC_GASES: readonly Table3Entry[] = Object.freeze(Table3GasSchema.options.map((gas) => Object.freeze({ gas, ...ROWS[gas] })));

/** β of a Table 3 toxic gas. */
export function table3Beta(gas: Table3Gas): number {
  return ROWS[gas].beta;
}
