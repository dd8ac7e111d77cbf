import { z } from 'zod';

/** Major hazard source level: 1 (一级, the most severe) to 4 (四级). */
export const MajorHazardLevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type MajorHazardLevel = z.infer<typeof MajorHazardLevelSchema>;

export const LevelBandSchema = z
  .object({
    level: MajorHazardLevelSchema,
    labelZh: z.string().min(1),
    /** Lowest R of the level (inclusive); the level runs up to the next level's minimum (exclusive). */
    minR: z.number().nonnegative(),
  })
  .strict();
export type LevelBand = z.infer<typeof LevelBandSchema>;

/**
 * GB 18218-2018 Table 6 「重大危险源级别和R值的对应关系」: level 1 R ≥ 100; level 2
 * 100 > R ≥ 50; level 3 50 > R ≥ 10; level 4 R < 10. Each boundary belongs to the higher level.
 */
export const TABLE6_LEVELS: readonly LevelBand[] = Object.freeze(
  (
    [
      { level: 1, labelZh: '一级', minR: 100 },
      { level: 2, labelZh: '二级', minR: 50 },
      { level: 3, labelZh: '三级', minR: 10 },
      { level: 4, labelZh: '四级', minR: 0 },
    ] satisfies LevelBand[]
  ).map((b) => Object.freeze(b)),
);

/** The level for a grading index R (Table 6). */
export function levelFor(r: number): MajorHazardLevel {
  for (const band of TABLE6_LEVELS) if (r >= band.minR) return band.level;
  return 4;
}
