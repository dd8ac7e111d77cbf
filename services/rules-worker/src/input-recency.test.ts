import { describe, expect, it } from 'vitest';
import { classifyInput, decodeRecent, encodeRecent, LogLimiter, RECENT_PER_INPUT, rememberInputs } from './input-recency.js';

describe('input recency', () => {
  it('tells fresh, redelivered, late and undecidable inputs apart', () => {
    const recent = [1_000, 2_000, 3_000];
    expect(classifyInput([], 5)).toBe('fresh');
    expect(classifyInput(recent, 3_001)).toBe('fresh');
    expect(classifyInput(recent, 3_000)).toBe('redelivered');
    expect(classifyInput(recent, 1_000)).toBe('redelivered');
    expect(classifyInput(recent, 2_500)).toBe('late');
    expect(classifyInput(recent, 999)).toBe('late_or_redelivered');
  });

  it('remembers the newest timestamps only, ascending', () => {
    const many = Array.from({ length: RECENT_PER_INPUT }, (_, i) => i * 10);
    const next = rememberInputs(many, [1_005, 1_001]);
    expect(next).toHaveLength(RECENT_PER_INPUT);
    expect(next.slice(-2)).toEqual([1_001, 1_005]);
    expect(next[0]).toBe(20);
    expect(rememberInputs([], [3, 1])).toEqual([1, 3]);
  });

  it('round-trips through its Redis encoding and reads the one-timestamp layout before it', () => {
    expect(decodeRecent(encodeRecent([1, 2, 1_795_470_000_000]))).toEqual([1, 2, 1_795_470_000_000]);
    expect(decodeRecent('1795470000000')).toEqual([1_795_470_000_000]);
    expect(decodeRecent('x,,5')).toEqual([5]);
  });

  it('lets one log line through per interval and counts what it held back', () => {
    const l = new LogLimiter(1_000);
    expect(l.take(0, 3)).toEqual({ log: true, suppressed: 0 });
    expect(l.take(500, 2)).toEqual({ log: false, suppressed: 0 });
    expect(l.take(999)).toEqual({ log: false, suppressed: 0 });
    expect(l.take(1_000)).toEqual({ log: true, suppressed: 3 });
  });
});
