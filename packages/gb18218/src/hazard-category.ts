import { z } from 'zod';

/**
 * Hazard categories of GB 18218-2018 Table 2 and Table 4, by the standard's own symbols:
 * J1-J5 acute toxicity, W1.1-W11 physical hazards (explosives, flammable gases, aerosols,
 * oxidising gases, flammable liquids, self-reactive substances, organic peroxides,
 * pyrophoric substances, oxidising solids and liquids, flammable solids, water-reactive).
 */
export const HazardCategorySchema = z.enum([
  'J1',
  'J2',
  'J3',
  'J4',
  'J5',
  'W1.1',
  'W1.2',
  'W1.3',
  'W2',
  'W3',
  'W4',
  'W5.1',
  'W5.2',
  'W5.3',
  'W5.4',
  'W6.1',
  'W6.2',
  'W7.1',
  'W7.2',
  'W8',
  'W9.1',
  'W9.2',
  'W10',
  'W11',
]);
export type HazardCategory = z.infer<typeof HazardCategorySchema>;
