import { describe, expect, it } from 'vitest';
import { atMostEvery } from './throttle.js';

describe('atMostEvery', () => {
  it('opens once, then again only after the interval, from any starting clock', () => {
    let t = 0;
    const open = atMostEvery(60_000, () => t);
    expect(open()).toBe(true);
    t = 59_999;
    expect(open()).toBe(false);
    t = 60_000;
    expect(open()).toBe(true);
    expect(open()).toBe(false);
  });
});
