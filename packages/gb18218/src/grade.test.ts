import type { HazardousChemical } from '@hazardwatch/contracts';
import { describe, expect, it } from 'vitest';
import { Gb18218Error } from './errors.js';
import { GradeInputSchema, GradingSchema, grade } from './grade.js';
import { IdentificationSchema, IdentifyInputSchema, identify } from './identify.js';
import { lookupChemical } from './lookup-chemical.js';

/** A HazardousChemical built from Table 1 by lookup, so the examples use the shipped figures. */
function chem(casOrName: string, quantityT: number): HazardousChemical {
  const found = lookupChemical(casOrName);
  if (found.kind !== 'found' || found.chemical.beta === null) throw new Error(`test fixture: no unique default for ${casOrName}`);
  return { name: found.chemical.nameZh, cas: found.chemical.cas[0], quantityT, criticalQuantityT: found.chemical.criticalQuantityT, beta: found.chemical.beta };
}

describe('identify (formula (1): S = Σ q/Q, major when S ≥ 1)', () => {
  it('tank farm: 300 t methanol + 40 t benzene is a major hazard source', () => {
    // methanol  q 300, Q 500 → 300/500 = 0.6
    // benzene   q  40, Q  50 →  40/50  = 0.8
    // S = 0.6 + 0.8 = 1.4 ≥ 1 → major hazard source
    const r = identify([chem('67-56-1', 300), chem('71-43-2', 40)]);
    expect(r.terms.map((t) => t.ratio)).toEqual([0.6, 0.8]);
    expect(r.s).toBe(1.4);
    expect(r.isMajorHazardSource).toBe(true);
    expect(IdentificationSchema.safeParse(r).success).toBe(true);
  });

  it('S just below 1 is not a major hazard source', () => {
    // methanol 250/500 = 0.5; benzene 24.9/50 = 0.498; S = 0.998 < 1
    const r = identify([chem('67-56-1', 250), chem('71-43-2', 24.9)]);
    expect(r.s).toBe(0.998);
    expect(r.isMajorHazardSource).toBe(false);
    // one chemical: 499/500 = 0.998
    expect(identify([chem('67-56-1', 499)]).isMajorHazardSource).toBe(false);
  });

  it('S exactly 1 is a major hazard source (q = Q for a single chemical)', () => {
    // methanol 500/500 = 1
    expect(identify([chem('67-56-1', 500)])).toMatchObject({ s: 1, isMajorHazardSource: true });
    // methanol 250/500 = 0.5; benzene 25/50 = 0.5; S = 1
    expect(identify([chem('67-56-1', 250), chem('71-43-2', 25)])).toMatchObject({ s: 1, isMajorHazardSource: true });
  });

  it('is not fooled by binary float noise at S = 1', () => {
    // ten ammonia vessels of 1 t each: 10 × 1/10 = 1 on paper; 0.1 added ten times is
    // 0.9999999999999999 in IEEE doubles. Rounded to 12 significant figures it is 1.
    const r = identify(Array.from({ length: 10 }, () => chem('7664-41-7', 1)));
    expect(r.s).toBe(1);
    expect(r.isMajorHazardSource).toBe(true);
  });

  it('gives S = 0 for an empty unit and accepts chemicals without β', () => {
    expect(identify([])).toEqual({ terms: [], s: 0, isMajorHazardSource: false });
    const input = IdentifyInputSchema.parse([{ name: '甲醛', cas: '50-00-0', quantityT: 6, criticalQuantityT: 5 }]);
    // 6/5 = 1.2
    expect(identify(input)).toMatchObject({ s: 1.2, isMajorHazardSource: true });
  });

  it('refuses what the schema would refuse', () => {
    expect(() => identify([{ name: 'x', quantityT: 1, criticalQuantityT: 0 }])).toThrow(Gb18218Error);
    expect(() => identify([{ name: 'x', quantityT: -1, criticalQuantityT: 5 }])).toThrow(Gb18218Error);
  });
});

describe('grade (formula (2): R = α · Σ β q/Q; Tables 5 and 6)', () => {
  it('tank farm: 300 t methanol + 40 t benzene, 120 people → R 2.8, level 4', () => {
    // methanol  q 300, Q 500, β 1 (W5.3) → q/Q 0.6, βq/Q 0.6
    // benzene   q  40, Q  50, β 1 (W5.3) → q/Q 0.8, βq/Q 0.8
    // Σ βq/Q = 1.4; 120 people ≥ 100 → α 2.0; R = 2.0 × 1.4 = 2.8 < 10 → level 4
    const g = grade({ chemicals: [chem('67-56-1', 300), chem('71-43-2', 40)], peopleWithin500m: 120 });
    expect(g.terms).toEqual([
      { name: '甲醇', cas: '67-56-1', quantityT: 300, criticalQuantityT: 500, ratio: 0.6, beta: 1, weightedRatio: 0.6 },
      { name: '苯', cas: '71-43-2', quantityT: 40, criticalQuantityT: 50, ratio: 0.8, beta: 1, weightedRatio: 0.8 },
    ]);
    expect(g).toMatchObject({ s: 1.4, isMajorHazardSource: true, weightedSum: 1.4, alpha: 2, alphaBandZh: '100人以上', r: 2.8, level: 4 });
    expect(GradingSchema.safeParse(g).success).toBe(true);
  });

  it('chlorine warehouse: 8 t Cl₂ (β 4), nobody within 500 m → α 0.5, R 3.2, level 4', () => {
    // chlorine q 8, Q 5, β 4 (Table 3) → q/Q 1.6, βq/Q 6.4; S = 1.6 ≥ 1
    // 0 people → α 0.5; R = 0.5 × 6.4 = 3.2 → level 4
    const g = grade({ chemicals: [chem('氯', 8)], peopleWithin500m: 0 });
    expect(g.terms[0]).toMatchObject({ beta: 4, ratio: 1.6, weightedRatio: 6.4 });
    expect(g).toMatchObject({ s: 1.6, alpha: 0.5, r: 3.2, level: 4 });
  });

  it('R = 10 exactly is level 3; just below is level 4', () => {
    // chlorine 12.5 t: q/Q = 12.5/5 = 2.5, βq/Q = 4 × 2.5 = 10; 10 people → α 1.0; R = 10 → level 3
    expect(grade({ chemicals: [chem('氯', 12.5)], peopleWithin500m: 10 })).toMatchObject({ r: 10, level: 3 });
    // chlorine 12.4 t: 12.4/5 = 2.48, × 4 = 9.92; α 1.0 → R 9.92 → level 4
    expect(grade({ chemicals: [chem('氯', 12.4)], peopleWithin500m: 10 })).toMatchObject({ r: 9.92, level: 4 });
  });

  it('R = 50 exactly is level 2 (and float noise does not push it over or under)', () => {
    // phosgene 0.75 t: q/Q = 0.75/0.3 = 2.5 (2.5000000000000004 in doubles), βq/Q = 20 × 2.5 = 50
    // 1 person → α 1.0; R = 50 → level 2
    const g = grade({ chemicals: [chem('光气', 0.75)], peopleWithin500m: 1 });
    expect(g).toMatchObject({ s: 2.5, weightedSum: 50, alpha: 1, r: 50, level: 2 });
    // 30 people → α 1.2; R = 1.2 × 50 = 60 → level 2
    expect(grade({ chemicals: [chem('光气', 0.75)], peopleWithin500m: 30 })).toMatchObject({ r: 60, level: 2 });
  });

  it('R = 100 exactly is level 1; the α boundary at 100 people decides it', () => {
    // phosgene 0.75 t: Σ βq/Q = 50 (as above)
    // 100 people → α 2.0 (「100人以上」 includes 100) → R = 100 → level 1
    expect(grade({ chemicals: [chem('光气', 0.75)], peopleWithin500m: 100 })).toMatchObject({ alpha: 2, r: 100, level: 1 });
    // 99 people → α 1.5 → R = 75 → level 2
    expect(grade({ chemicals: [chem('光气', 0.75)], peopleWithin500m: 99 })).toMatchObject({ alpha: 1.5, r: 75, level: 2 });
  });

  it('mixes Table 3 and Table 4 β in one unit', () => {
    // ammonia   q 30, Q 10, β 2   (Table 3)  → q/Q 3,   βq/Q 6
    // hydrogen  q 2,  Q 5,  β 1.5 (W2)       → q/Q 0.4, βq/Q 0.6
    // S = 3.4; Σ βq/Q = 6.6; 45 people → α 1.2; R = 1.2 × 6.6 = 7.92 → level 4
    const g = grade({ chemicals: [chem('液氨', 30), chem('hydrogen', 2)], peopleWithin500m: 45 });
    expect(g).toMatchObject({ s: 3.4, weightedSum: 6.6, alpha: 1.2, r: 7.92, level: 4 });
  });

  it('shows R but gives no level when S < 1', () => {
    // methanol 499/500 = 0.998, β 1; 120 people → α 2; R = 1.996; not a major hazard source
    const g = grade({ chemicals: [chem('67-56-1', 499)], peopleWithin500m: 120 });
    expect(g).toMatchObject({ s: 0.998, isMajorHazardSource: false, r: 1.996, level: null });
  });

  it('requires the head count in its input schema (a missing count must not mean α 0.5)', () => {
    expect(GradeInputSchema.safeParse({ chemicals: [] }).success).toBe(false);
    expect(GradeInputSchema.safeParse({ chemicals: [], peopleWithin500m: 0 }).success).toBe(true);
    expect(GradeInputSchema.safeParse({ chemicals: [], peopleWithin500m: -1 }).success).toBe(false);
  });

  it('refuses what the schema would refuse', () => {
    expect(() => grade({ chemicals: [], peopleWithin500m: -1 })).toThrow(Gb18218Error);
    expect(() => grade({ chemicals: [{ name: 'x', quantityT: 1, criticalQuantityT: 5, beta: 0 }], peopleWithin500m: 0 })).toThrow(Gb18218Error);
    try {
      grade({ chemicals: [], peopleWithin500m: 1.5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Gb18218Error);
      expect((e as Gb18218Error).code).toBe('HW_GB18218_INVALID_INPUT');
    }
  });
});
