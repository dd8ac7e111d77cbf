import { describe, expect, it } from 'vitest';
import { ChemicalLookupSchema, lookupChemical } from './lookup-chemical.js';

describe('lookupChemical', () => {
  it('finds by CAS number, with Q from Table 1 and β from Table 4 by default category', () => {
    const r = lookupChemical('67-56-1');
    expect(r).toEqual({
      kind: 'found',
      chemical: {
        no: 65,
        nameZh: '甲醇',
        nameEn: 'methanol',
        cas: ['67-56-1'],
        criticalQuantityT: 500,
        beta: 1,
        betaSource: 'table4',
        categories: ['W5.3'],
      },
    });
    expect(ChemicalLookupSchema.safeParse(r).success).toBe(true);
  });

  it('finds by alias and English name, β from Table 3 for a named toxic gas', () => {
    for (const key of ['氯气', '液氯', '氯', 'Chlorine', ' chlorine ', '7782-50-5']) {
      expect(lookupChemical(key)).toMatchObject({ kind: 'found', chemical: { no: 12, criticalQuantityT: 5, beta: 4, betaSource: 'table3' } });
    }
    expect(lookupChemical('phosgene')).toMatchObject({ kind: 'found', chemical: { no: 6, criticalQuantityT: 0.3, beta: 20 } });
  });

  it('finds a qualified row by name with its qualifier, full-width brackets or not', () => {
    for (const key of ['甲醛（含量>90%）', '甲醛(含量>90%)', '甲醛', '50-00-0']) {
      expect(lookupChemical(key)).toMatchObject({
        kind: 'found',
        chemical: { no: 8, qualifierZh: '含量>90%', criticalQuantityT: 5, beta: null, betaSource: null, categories: [] },
      });
    }
  });

  it('says when several rows share a key', () => {
    const nc = lookupChemical('9004-70-0');
    expect(nc.kind).toBe('ambiguous');
    if (nc.kind === 'ambiguous') expect(nc.candidates.map((c) => c.criticalQuantityT)).toEqual([1, 1, 10, 50, 50, 50]);
    const an = lookupChemical('硝酸铵');
    expect(an.kind).toBe('ambiguous');
    if (an.kind === 'ambiguous')
      expect(an.candidates.map((c) => [c.no, c.criticalQuantityT, c.beta])).toEqual([
        [43, 5, 2],
        [44, 50, 1],
      ]);
    // The fertiliser row has a name of its own.
    expect(lookupChemical('硝酸铵肥料')).toMatchObject({ kind: 'found', chemical: { no: 45, criticalQuantityT: 200 } });
  });

  it('maps CO and the LPG components to the rows that cover them', () => {
    expect(lookupChemical('一氧化碳')).toMatchObject({ kind: 'found', chemical: { no: 13, criticalQuantityT: 20, beta: 2, betaSource: 'table3' } });
    expect(lookupChemical('630-08-0')).toMatchObject({ kind: 'found', chemical: { no: 13 } });
    expect(lookupChemical('propane')).toMatchObject({ kind: 'found', chemical: { no: 52, criticalQuantityT: 50, beta: 1.5 } });
    expect(lookupChemical('74-98-6')).toMatchObject({ kind: 'found', chemical: { no: 52 } });
    expect(lookupChemical('天然气')).toMatchObject({ kind: 'found', chemical: { no: 49, criticalQuantityT: 50 } });
  });

  it('does not guess', () => {
    expect(lookupChemical('硫酸')).toEqual({ kind: 'not_found' });
    expect(lookupChemical('7664-93-9')).toEqual({ kind: 'not_found' });
    expect(lookupChemical('甲')).toEqual({ kind: 'not_found' });
    expect(lookupChemical('')).toEqual({ kind: 'not_found' });
  });

  it('applies Table 4 overrides to default β, never to Table 3 β', () => {
    expect(lookupChemical('hydrogen', { table4BetaOverrides: { W2: 2 } })).toMatchObject({ kind: 'found', chemical: { beta: 2 } });
    expect(lookupChemical('hydrogen')).toMatchObject({ kind: 'found', chemical: { beta: 1.5 } });
    expect(lookupChemical('chlorine', { table4BetaOverrides: { J1: 10 } })).toMatchObject({ kind: 'found', chemical: { beta: 4 } });
  });

  it('returns copies: callers cannot change the table', () => {
    const r = lookupChemical('methanol');
    if (r.kind !== 'found') throw new Error('expected methanol');
    r.chemical.cas.push('x');
    expect(lookupChemical('methanol')).toMatchObject({ chemical: { cas: ['67-56-1'] } });
  });
});
