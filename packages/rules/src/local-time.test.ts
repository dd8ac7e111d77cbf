import { describe, expect, test } from 'vitest';
import { DAY_MS, inDailyWindow, msOfDay, nextDailyBoundary, parseTimeOfDay } from './local-time.js';

const h = (x: number) => x * 3_600_000;
// 2023-11-14T16:00:00Z is midnight at UTC+8.
const MIDNIGHT_CST = 1_699_977_600_000;

describe('local time at a fixed offset', () => {
  test('msOfDay at UTC+8 and UTC-5', () => {
    expect(msOfDay(MIDNIGHT_CST, 480)).toBe(0);
    expect(msOfDay(MIDNIGHT_CST + h(7.5), 480)).toBe(h(7.5));
    expect(msOfDay(MIDNIGHT_CST, -300)).toBe(h(11));
  });

  test.each([
    { window: ['00:00', '06:00'], at: 0, inside: true },
    { window: ['00:00', '06:00'], at: h(6), inside: false },
    { window: ['22:00', '06:00'], at: h(23), inside: true },
    { window: ['22:00', '06:00'], at: h(5.99), inside: true },
    { window: ['22:00', '06:00'], at: h(12), inside: false },
    { window: ['22:00', '24:00'], at: h(23.9), inside: true },
    { window: ['22:00', '24:00'], at: 0, inside: false },
  ])('$window at $at ms → $inside', ({ window, at, inside }) => {
    expect(inDailyWindow(at, parseTimeOfDay(window[0] ?? ''), parseTimeOfDay(window[1] ?? ''))).toBe(inside);
  });

  test('next boundary is strictly after t, and wraps to the next day', () => {
    const b = [parseTimeOfDay('00:00'), parseTimeOfDay('06:00')];
    expect(nextDailyBoundary(MIDNIGHT_CST - 1, 480, b)).toBe(MIDNIGHT_CST);
    expect(nextDailyBoundary(MIDNIGHT_CST, 480, b)).toBe(MIDNIGHT_CST + h(6));
    expect(nextDailyBoundary(MIDNIGHT_CST + h(6), 480, b)).toBe(MIDNIGHT_CST + DAY_MS);
  });
});
