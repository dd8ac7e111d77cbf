/**
 * UTC calendar arithmetic without `Date`: this package is pure and its lint forbids
 * the global clock object, yet webhooks need ISO timestamps and retries must read
 * HTTP dates. Proleptic Gregorian calendar (H. Hinnant, "chrono-compatible low-level
 * date algorithms").
 */

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** Days since 1970-01-01 of a civil date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date of a day count since 1970-01-01. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function split(ms: number): { year: number; month: number; day: number; weekday: number; h: number; m: number; s: number; milli: number } {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // 1970-01-01 was a Thursday (4).
  const weekday = (((days + 4) % 7) + 7) % 7;
  return {
    ...civilFromDays(days),
    weekday,
    h: Math.floor(inDay / 3_600_000),
    m: Math.floor((inDay % 3_600_000) / 60_000),
    s: Math.floor((inDay % 60_000) / 1000),
    milli: inDay % 1000,
  };
}

/** Epoch milliseconds as ISO-8601 UTC with milliseconds (`2023-11-14T22:13:20.123Z`), years 0-9999. */
export function toIsoString(epochMs: number): string {
  const t = split(Math.trunc(epochMs));
  return `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.h, 2)}:${pad(t.m, 2)}:${pad(t.s, 2)}.${pad(t.milli, 3)}Z`;
}

/** Epoch milliseconds as an RFC 9110 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); milliseconds are dropped. */
export function toHttpDate(epochMs: number): string {
  const t = split(Math.trunc(epochMs));
  return `${DAY_NAMES[t.weekday]}, ${pad(t.day, 2)} ${MONTH_NAMES[t.month - 1]} ${pad(t.year, 4)} ${pad(t.h, 2)}:${pad(t.m, 2)}:${pad(t.s, 2)} GMT`;
}

function toEpoch(year: number, monthName: string, day: number, h: number, m: number, s: number): number | null {
  const month = MONTH_NAMES.indexOf(monthName as (typeof MONTH_NAMES)[number]) + 1;
  if (month === 0 || day < 1 || day > daysInMonth(year, month) || h > 23 || m > 59 || s > 60) return null;
  // A leap second (…:60) is read as the next second's start.
  return daysFromCivil(year, month, day) * DAY_MS + h * 3_600_000 + m * 60_000 + s * 1000;
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * An HTTP date (RFC 9110 §5.6.7) as epoch milliseconds, or null when it is none.
 * Accepts the preferred IMF-fixdate and, as recipients must, the obsolete RFC 850
 * and asctime forms. The day name is not checked against the date (RFC 9110 lets
 * recipients ignore it). A two-digit RFC 850 year is read as within 1970-2069.
 */
export function parseHttpDate(value: string): number | null {
  const v = value.trim();
  let match = IMF_FIXDATE.exec(v);
  if (match) {
    const [, , d, mon, y, h, m, s] = match;
    return toEpoch(Number(y), mon ?? '', Number(d), Number(h), Number(m), Number(s));
  }
  match = RFC850_DATE.exec(v);
  if (match) {
    const [, , d, mon, yy, h, m, s] = match;
    const y2 = Number(yy);
    return toEpoch(y2 >= 70 ? 1900 + y2 : 2000 + y2, mon ?? '', Number(d), Number(h), Number(m), Number(s));
  }
  match = ASCTIME_DATE.exec(v);
  if (match) {
    const [, , mon, d, h, m, s, y] = match;
    return toEpoch(Number(y), mon ?? '', Number((d ?? '').trim()), Number(h), Number(m), Number(s));
  }
  return null;
}
