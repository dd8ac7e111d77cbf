import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHttpDate, toHttpDate, toIsoString } from './civil-time.js';

// Fixed points checked once against Node's Date outside this package.
const KNOWN = [
  { ms: 0, iso: '1970-01-01T00:00:00.000Z', http: 'Thu, 01 Jan 1970 00:00:00 GMT' },
  { ms: -1, iso: '1969-12-31T23:59:59.999Z', http: 'Wed, 31 Dec 1969 23:59:59 GMT' },
  { ms: 784_111_777_000, iso: '1994-11-06T08:49:37.000Z', http: 'Sun, 06 Nov 1994 08:49:37 GMT' },
  { ms: 951_782_400_000, iso: '2000-02-29T00:00:00.000Z', http: 'Tue, 29 Feb 2000 00:00:00 GMT' },
  { ms: 1_700_000_000_123, iso: '2023-11-14T22:13:20.123Z', http: 'Tue, 14 Nov 2023 22:13:20 GMT' },
  { ms: 4_102_444_799_999, iso: '2099-12-31T23:59:59.999Z', http: 'Thu, 31 Dec 2099 23:59:59 GMT' },
];

describe('civil time', () => {
  it.each(KNOWN)('formats $ms as $iso and $http', ({ ms, iso, http }) => {
    expect(toIsoString(ms)).toBe(iso);
    expect(toHttpDate(ms)).toBe(http);
  });

  it.each([
    { value: 'Sun, 06 Nov 1994 08:49:37 GMT', ms: 784_111_777_000 },
    { value: 'Sunday, 06-Nov-94 08:49:37 GMT', ms: 784_111_777_000 },
    { value: 'Sun Nov  6 08:49:37 1994', ms: 784_111_777_000 },
    { value: ' Tue, 29 Feb 2000 00:00:00 GMT ', ms: 951_782_400_000 },
    { value: 'Tuesday, 14-Nov-23 22:13:20 GMT', ms: 1_700_000_000_000 },
    { value: 'Thu, 29 Feb 2001 00:00:00 GMT', ms: null },
    { value: 'Thu, 31 Apr 2001 00:00:00 GMT', ms: null },
    { value: 'Thu, 01 Foo 2001 00:00:00 GMT', ms: null },
    { value: 'Thu, 01 Jan 2001 24:00:00 GMT', ms: null },
    { value: '2001-01-01T00:00:00Z', ms: null },
    { value: '120', ms: null },
    { value: '', ms: null },
  ])('parses "$value"', ({ value, ms }) => {
    expect(parseHttpDate(value)).toBe(ms);
  });

  it('reads back what it writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_799_999 }), (ms) => {
        expect(parseHttpDate(toHttpDate(ms))).toBe(Math.floor(ms / 1000) * 1000);
      }),
    );
  });

  it('keeps ISO strings in time order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_799_998 }), fc.integer({ min: 1, max: 10 ** 9 }), (a, d) => {
        const b = Math.min(a + d, 4_102_444_799_999);
        expect(toIsoString(a) < toIsoString(b)).toBe(true);
      }),
    );
  });
});
