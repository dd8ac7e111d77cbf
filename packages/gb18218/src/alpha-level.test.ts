import { describe, expect, it } from 'vitest';
import { alphaBandFor, alphaFor } from './alpha.js';
import { Gb18218Error } from './errors.js';
import { levelFor } from './level.js';

describe('alphaFor (Table 5)', () => {
  it.each([
    [0, 0.5],
    [1, 1.0],
    [29, 1.0],
    [30, 1.2],
    [49, 1.2],
    [50, 1.5],
    [99, 1.5],
    // 「100人以上」: 以上 includes 100, and the 50~99 band stops at 99 → 2.0.
    [100, 2.0],
    [101, 2.0],
    [5000, 2.0],
  ])('%i people → α %d', (people, alpha) => {
    expect(alphaFor(people)).toBe(alpha);
  });

  it('labels the band as the standard does', () => {
    expect(alphaBandFor(100).labelZh).toBe('100人以上');
    expect(alphaBandFor(99).labelZh).toBe('50~99人');
  });

  it.each([-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d people', (people) => {
    expect(() => alphaFor(people)).toThrow(Gb18218Error);
  });
});

describe('levelFor (Table 6)', () => {
  it.each([
    [1000, 1],
    [100, 1],
    [99.99, 2],
    [50, 2],
    [49.99, 3],
    [10, 3],
    [9.99, 4],
    [0, 4],
  ])('R %d → level %i', (r, level) => {
    expect(levelFor(r)).toBe(level);
  });
});
