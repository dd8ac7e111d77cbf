/**
 * Stable partition of a key (hazard source id, vehicle id): FNV-1a 32-bit.
 * Every process must agree on it, so it is fixed here and never seeded.
 */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Partition key of a reading (its hazard source) and of a position (its vehicle). */
export const sourceKey = (hazardSourceId: string): string => `source:${hazardSourceId}`;
export const vehicleKey = (vehicleId: string): string => `vehicle:${vehicleId}`;
