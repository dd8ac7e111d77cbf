import { z } from 'zod';
import { Gb18218Error } from './errors.js';
import { type HazardCategory, HazardCategorySchema } from './hazard-category.js';

/** One row of GB 18218-2018 Table 2 (hazard categories of chemicals not named in Table 1). */
export const Table2EntrySchema = z
  .object({
    category: HazardCategorySchema,
    classZh: z.string().min(1),
    descriptionZh: z.string().min(1),
    descriptionEn: z.string().min(1),
    /** Critical quantity Q in tonnes (W3 aerosols: net weight). */
    criticalQuantityT: z.number().positive(),
  })
  .strict();
export type Table2Entry = z.infer<typeof Table2EntrySchema>;

/**
 * GB 18218-2018 Table 2 「未在表1中列举的危险化学品类别及其临界量」, Q in tonnes. Used for a
 * chemical that Table 1 does not name, by its GHS classification (GB 30000 series).
 */
export const TABLE2_CATEGORIES: readonly Table2Entry[] = Object.freeze(
  (
    [
      {
        category: 'J1',
        classZh: '急性毒性',
        descriptionZh: '类别1，所有暴露途径，气体',
        descriptionEn: 'acute toxicity cat. 1, any route, gas',
        criticalQuantityT: 5,
      },
      {
        category: 'J2',
        classZh: '急性毒性',
        descriptionZh: '类别1，所有暴露途径，固体、液体',
        descriptionEn: 'acute toxicity cat. 1, any route, solid or liquid',
        criticalQuantityT: 50,
      },
      {
        category: 'J3',
        classZh: '急性毒性',
        descriptionZh: '类别2、类别3，所有暴露途径，气体',
        descriptionEn: 'acute toxicity cat. 2-3, any route, gas',
        criticalQuantityT: 50,
      },
      {
        category: 'J4',
        classZh: '急性毒性',
        descriptionZh: '类别2、类别3，吸入途径，液体（沸点≤35℃）',
        descriptionEn: 'acute toxicity cat. 2-3, inhalation, liquid with boiling point ≤ 35 °C',
        criticalQuantityT: 50,
      },
      {
        category: 'J5',
        classZh: '急性毒性',
        descriptionZh: '类别2，所有暴露途径，液体（除J4外）、固体',
        descriptionEn: 'acute toxicity cat. 2, any route, liquid (other than J4) or solid',
        criticalQuantityT: 500,
      },
      {
        category: 'W1.1',
        classZh: '爆炸物',
        descriptionZh: '不稳定爆炸物；1.1项爆炸物',
        descriptionEn: 'unstable explosives; division 1.1',
        criticalQuantityT: 1,
      },
      {
        category: 'W1.2',
        classZh: '爆炸物',
        descriptionZh: '1.2、1.3、1.5、1.6项爆炸物',
        descriptionEn: 'explosives of division 1.2, 1.3, 1.5, 1.6',
        criticalQuantityT: 10,
      },
      { category: 'W1.3', classZh: '爆炸物', descriptionZh: '1.4项爆炸物', descriptionEn: 'explosives of division 1.4', criticalQuantityT: 50 },
      { category: 'W2', classZh: '易燃气体', descriptionZh: '类别1和类别2', descriptionEn: 'flammable gases cat. 1 and 2', criticalQuantityT: 10 },
      {
        category: 'W3',
        classZh: '气溶胶',
        descriptionZh: '类别1和类别2（临界量按净重计）',
        descriptionEn: 'aerosols cat. 1 and 2 (Q is net weight)',
        criticalQuantityT: 150,
      },
      { category: 'W4', classZh: '氧化性气体', descriptionZh: '类别1', descriptionEn: 'oxidising gases cat. 1', criticalQuantityT: 50 },
      {
        category: 'W5.1',
        classZh: '易燃液体',
        descriptionZh: '类别1；类别2和3，工作温度高于沸点',
        descriptionEn: 'flammable liquids cat. 1; cat. 2 and 3 worked above their boiling point',
        criticalQuantityT: 10,
      },
      {
        category: 'W5.2',
        classZh: '易燃液体',
        descriptionZh: '类别2和3，具有引发重大事故的特殊工艺条件，包括危险化工工艺、爆炸极限范围或附近操作、操作压力大于1.6MPa等',
        descriptionEn:
          'flammable liquids cat. 2 and 3 under process conditions that can cause a major accident (hazardous chemical processes, operation in or near the explosive range, pressure above 1.6 MPa, ...)',
        criticalQuantityT: 50,
      },
      {
        category: 'W5.3',
        classZh: '易燃液体',
        descriptionZh: '不属于W5.1或W5.2的其他类别2',
        descriptionEn: 'flammable liquids cat. 2 not in W5.1 or W5.2',
        criticalQuantityT: 1000,
      },
      {
        category: 'W5.4',
        classZh: '易燃液体',
        descriptionZh: '不属于W5.1或W5.2的其他类别3',
        descriptionEn: 'flammable liquids cat. 3 not in W5.1 or W5.2',
        criticalQuantityT: 5000,
      },
      {
        category: 'W6.1',
        classZh: '自反应物质和混合物',
        descriptionZh: 'A型和B型',
        descriptionEn: 'self-reactive substances and mixtures, types A and B',
        criticalQuantityT: 10,
      },
      {
        category: 'W6.2',
        classZh: '自反应物质和混合物',
        descriptionZh: 'C型、D型、E型',
        descriptionEn: 'self-reactive substances and mixtures, types C, D, E',
        criticalQuantityT: 50,
      },
      { category: 'W7.1', classZh: '有机过氧化物', descriptionZh: 'A型和B型', descriptionEn: 'organic peroxides, types A and B', criticalQuantityT: 10 },
      {
        category: 'W7.2',
        classZh: '有机过氧化物',
        descriptionZh: 'C型、D型、E型、F型',
        descriptionEn: 'organic peroxides, types C, D, E, F',
        criticalQuantityT: 50,
      },
      {
        category: 'W8',
        classZh: '自燃液体和自燃固体',
        descriptionZh: '类别1自燃液体；类别1自燃固体',
        descriptionEn: 'pyrophoric liquids cat. 1; pyrophoric solids cat. 1',
        criticalQuantityT: 50,
      },
      { category: 'W9.1', classZh: '氧化性固体和液体', descriptionZh: '类别1', descriptionEn: 'oxidising solids and liquids cat. 1', criticalQuantityT: 50 },
      {
        category: 'W9.2',
        classZh: '氧化性固体和液体',
        descriptionZh: '类别2、类别3',
        descriptionEn: 'oxidising solids and liquids cat. 2 and 3',
        criticalQuantityT: 200,
      },
      { category: 'W10', classZh: '易燃固体', descriptionZh: '类别1易燃固体', descriptionEn: 'flammable solids cat. 1', criticalQuantityT: 200 },
      {
        category: 'W11',
        classZh: '遇水放出易燃气体的物质和混合物',
        descriptionZh: '类别1和类别2',
        descriptionEn: 'substances and mixtures which in contact with water emit flammable gases, cat. 1 and 2',
        criticalQuantityT: 200,
      },
    ] satisfies Table2Entry[]
  ).map((e) => Object.freeze(e)),
);

const Q_BY_CATEGORY: ReadonlyMap<HazardCategory, number> = new Map(TABLE2_CATEGORIES.map((e) => [e.category, e.criticalQuantityT]));

/**
 * Q in tonnes for a chemical not named in Table 1, from its hazard categories (Table 2).
 * GB 18218-2018, 临界量的确定方法 item b): a chemical with several hazards takes the lowest of
 * their critical quantities.
 */
export function criticalQuantityForCategories(categories: readonly HazardCategory[]): number {
  let q = Number.POSITIVE_INFINITY;
  for (const c of categories) q = Math.min(q, Q_BY_CATEGORY.get(c) ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(q)) throw new Gb18218Error('criticalQuantityForCategories needs at least one hazard category');
  return q;
}
