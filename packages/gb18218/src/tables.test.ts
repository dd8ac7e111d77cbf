import { describe, expect, it } from 'vitest';
import { isValidCasNumber } from './cas-number.js';
import { HazardCategorySchema } from './hazard-category.js';
import { TABLE1_CHEMICALS, Table1EntrySchema } from './table1.js';
import { criticalQuantityForCategories, TABLE2_CATEGORIES } from './table2.js';
import { TABLE3_TOXIC_GASES, Table3GasSchema } from './table3.js';
import { betaForCategories, TABLE4_BETA } from './table4.js';

describe('Table 1 (named chemicals)', () => {
  it('has all 85 rows, numbered 1-85 in order, each valid against its schema', () => {
    expect(TABLE1_CHEMICALS).toHaveLength(85);
    TABLE1_CHEMICALS.forEach((row, i) => {
      expect(row.no).toBe(i + 1);
      expect(Table1EntrySchema.safeParse(row).success).toBe(true);
    });
  });

  it('has only CAS numbers with a valid check digit', () => {
    for (const row of TABLE1_CHEMICALS) for (const cas of row.cas) expect(isValidCasNumber(cas), `${row.no} ${cas}`).toBe(true);
    expect(isValidCasNumber('7664-41-7')).toBe(true);
    expect(isValidCasNumber('7664-41-8')).toBe(false);
  });

  it('matches every figure the domain notes give (domain.md, GB 18218-2018)', () => {
    const expected: [string, number][] = [
      ['7664-41-7', 10], // ammonia
      ['7782-50-5', 5], // chlorine
      ['7783-06-4', 5], // hydrogen sulphide
      ['1333-74-0', 5], // hydrogen
      ['75-44-5', 0.3], // phosgene
      ['74-90-8', 1], // hydrogen cyanide
      ['624-83-9', 0.75], // methyl isocyanate
      ['75-21-8', 10], // ethylene oxide
      ['75-01-4', 50], // vinyl chloride
      ['74-82-8', 50], // methane / natural gas
      ['68476-85-7', 50], // LPG
      ['74-86-2', 1], // acetylene
      ['74-85-1', 50], // ethylene
      ['106-99-0', 5], // 1,3-butadiene
      ['7782-44-7', 200], // oxygen (compressed/liquid)
      ['71-43-2', 50], // benzene
      ['108-88-3', 500], // toluene
      ['67-56-1', 500], // methanol
      ['64-17-5', 500], // ethanol
      ['86290-81-5', 200], // gasoline
      ['67-64-1', 500], // acetone
      ['100-42-5', 500], // styrene
      ['107-13-1', 50], // acrylonitrile
      ['75-15-0', 50], // carbon disulphide
      ['7446-09-5', 20], // sulphur dioxide
      ['7647-01-0', 20], // hydrogen chloride (anhydrous)
      ['7664-39-3', 1], // hydrogen fluoride
      ['7697-37-2', 100], // nitric acid > 70 %
      ['75-20-7', 100], // calcium carbide
      ['7440-23-5', 10], // sodium
    ];
    for (const [cas, q] of expected) {
      const rows = TABLE1_CHEMICALS.filter((r) => r.cas.includes(cas));
      expect(rows, cas).toHaveLength(1);
      expect(rows[0]?.criticalQuantityT, cas).toBe(q);
    }
    // Ammonium nitrate with > 0.2 % combustibles (6484-52-2 has two rows).
    const an = TABLE1_CHEMICALS.filter((r) => r.cas.includes('6484-52-2'));
    expect(an.map((r) => [r.qualifierZh, r.criticalQuantityT])).toEqual([
      ['含可燃物>0.2%，包括以碳计算的任何有机物，但不包括任何其他添加剂', 5],
      ['含可燃物≤0.2%', 50],
    ]);
  });

  it('links a row to Table 3 exactly when it is one of the named toxic gases', () => {
    const t3Cas = new Map(TABLE3_TOXIC_GASES.map((g) => [g.cas, g.gas]));
    for (const row of TABLE1_CHEMICALS) {
      const gas = row.cas.map((c) => t3Cas.get(c)).find((g) => g !== undefined);
      if (gas) expect(row.betaBasis, `row ${row.no}`).toEqual({ kind: 'table3', gas });
      else if (row.no !== 13) expect(row.betaBasis.kind, `row ${row.no}`).not.toBe('table3');
    }
    // Row 13 (煤气) covers CO itself; CO has no Table 1 row of its own.
    expect(TABLE1_CHEMICALS[12]?.betaBasis).toEqual({ kind: 'table3', gas: 'carbon_monoxide' });
  });

  it('leaves β unassigned exactly for the rows the README lists', () => {
    const unassigned = TABLE1_CHEMICALS.filter((r) => r.betaBasis.kind === 'unassigned').map((r) => r.no);
    expect(unassigned).toEqual([2, 5, 8, 14, 15, 16, 18, 19, 21, 22, 23, 24, 26, 27, 28, 29, 40, 41, 42, 63, 66, 71, 72, 75, 80]);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(TABLE1_CHEMICALS)).toBe(true);
    expect(Object.isFrozen(TABLE1_CHEMICALS[0])).toBe(true);
    expect(Object.isFrozen(TABLE1_CHEMICALS[0]?.cas)).toBe(true);
  });
});

describe('Table 2 (categories of unnamed chemicals)', () => {
  it('gives Q exactly as domain.md does, once per category', () => {
    const q = Object.fromEntries(TABLE2_CATEGORIES.map((e) => [e.category, e.criticalQuantityT]));
    expect(q).toEqual({
      J1: 5,
      J2: 50,
      J3: 50,
      J4: 50,
      J5: 500,
      'W1.1': 1,
      'W1.2': 10,
      'W1.3': 50,
      W2: 10,
      W3: 150,
      W4: 50,
      'W5.1': 10,
      'W5.2': 50,
      'W5.3': 1000,
      'W5.4': 5000,
      'W6.1': 10,
      'W6.2': 50,
      'W7.1': 10,
      'W7.2': 50,
      W8: 50,
      'W9.1': 50,
      'W9.2': 200,
      W10: 200,
      W11: 200,
    });
    expect(TABLE2_CATEGORIES.map((e) => e.category)).toEqual(HazardCategorySchema.options);
  });

  it('takes the lowest Q when a chemical has several hazards', () => {
    // e.g. a gas that is flammable (W2, Q 10) and acutely toxic cat. 3 (J3, Q 50) → 10.
    expect(criticalQuantityForCategories(['J3', 'W2'])).toBe(10);
    expect(() => criticalQuantityForCategories([])).toThrow();
  });
});

describe('Table 3 (named toxic gases)', () => {
  it('gives β as domain.md does', () => {
    const beta = Object.fromEntries(TABLE3_TOXIC_GASES.map((g) => [g.gas, g.beta]));
    expect(beta).toEqual({
      carbon_monoxide: 2,
      sulphur_dioxide: 2,
      ammonia: 2,
      ethylene_oxide: 2,
      hydrogen_chloride: 3,
      methyl_bromide: 3,
      chlorine: 4,
      hydrogen_sulphide: 5,
      hydrogen_fluoride: 5,
      nitrogen_dioxide: 10,
      hydrogen_cyanide: 10,
      phosgene: 20,
      phosphine: 20,
      methyl_isocyanate: 20,
    });
    expect(TABLE3_TOXIC_GASES.map((g) => g.gas)).toEqual(Table3GasSchema.options);
    for (const g of TABLE3_TOXIC_GASES) expect(isValidCasNumber(g.cas), g.cas).toBe(true);
  });
});

describe('Table 4 (β by category)', () => {
  it('gives β as domain.md does, J2 = 1 by default', () => {
    expect(TABLE4_BETA).toEqual({
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
  });

  it('lets a deployment take the other reading of J2', () => {
    expect(betaForCategories(['J2'])).toBe(1);
    expect(betaForCategories(['J2'], { J2: 2 })).toBe(2);
    // Overrides touch only the category named.
    expect(betaForCategories(['J5'], { J2: 2 })).toBe(1);
  });

  it('takes the largest β when a chemical has several hazards', () => {
    // W5.3 (β 1) and J3 (β 2) → 2; W2 (1.5) and W11 (1) → 1.5.
    expect(betaForCategories(['W5.3', 'J3'])).toBe(2);
    expect(betaForCategories(['W11', 'W2'])).toBe(1.5);
    expect(() => betaForCategories([])).toThrow();
  });
});
