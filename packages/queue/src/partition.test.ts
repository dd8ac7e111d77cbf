import { describe, expect, it } from 'vitest';
import { partitionOf, sourceKey } from './partition.js';

describe('partitionOf', () => {
  it('is stable across processes (fixed FNV-1a values)', () => {
    // FNV-1a 32 of "a" is 0xe40c292c; of "" is the offset basis 0x811c9dc5.
    expect(partitionOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(partitionOf('', 1000)).toBe(0x811c9dc5 % 1000);
  });

  it('spreads many sources over every partition', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[partitionOf(sourceKey(`hs-${i}`), 16)]++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(60);
      expect(c).toBeLessThan(140);
    }
  });
});
