/**
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM|±HHMM)`. Only the shape is matched here; the ranges
 * of every part are checked by `parseTimestamp`, so the answer never depends on how a date library
 * reads an odd value.
 */
export const TIMESTAMP_SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

const DAY_MS = 86_400_000;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Epoch milliseconds of checked parts, or null when a part is out of its range. */
function epochOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): number | null {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis
  );
}

/** The value of `length` ASCII digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Whether `text` has the exact form SDKs send and `Date.prototype.toISOString` writes:
 * `YYYY-MM-DDTHH:MM:SS.sssZ`. Such a timestamp needs no rewriting once it parses.
 */
export const isCanonicalTimestamp = (text: string): boolean =>
  text.length === 24 &&
  text.charCodeAt(4) === 45 && // -
  text.charCodeAt(7) === 45 &&
  text.charCodeAt(10) === 84 && // T
  text.charCodeAt(13) === 58 && // :
  text.charCodeAt(16) === 58 &&
  text.charCodeAt(19) === 46 && // .
  text.charCodeAt(23) === 90; // Z

/**
 * Parses a protocol timestamp into epoch milliseconds, or null when it is not one: a real
 * (proleptic Gregorian) calendar date, hours 00–23, minutes and seconds 00–59, a fraction of 1 to 9
 * digits (cut to milliseconds), and `Z` or an offset with hours 00–23 and minutes 00–59.
 *
 * @example
 * parseTimestamp("2026-12-03T10:00:00.123Z"); // 1796292000123
 * parseTimestamp("2026-12-03T10:00:00+99:99"); // null
 */
export function parseTimestamp(text: string): number | null {
  // The form every SDK sends, read without a regular expression (ingest parses each event's time).
  if (isCanonicalTimestamp(text)) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const hour = digits(text, 11, 2);
    const minute = digits(text, 14, 2);
    const second = digits(text, 17, 2);
    const millis = digits(text, 20, 3);
    if ((year | month | day | hour | minute | second | millis) < 0) return null;
    return epochOf(year, month, day, hour, minute, second, millis, 0);
  }
  const match = TIMESTAMP_SHAPE.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match;
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const offsetHours = Number(oh);
    const offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  return epochOf(
    Number(y),
    Number(mo),
    Number(d),
    Number(h),
    Number(mi),
    s === undefined ? 0 : Number(s),
    millis,
    offsetMinutes,
  );
}
