/**
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM|±HHMM)`. Only the shape is matched here; the ranges
 * of every part are checked by `parseTimestamp`, so the answer never depends on how a date library
 * reads an odd value.
 */
export const TIMESTAMP_SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

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
  const match = TIMESTAMP_SHAPE.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const offsetHours = Number(oh);
    const offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  // setUTCFullYear: Date.UTC would read years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}
