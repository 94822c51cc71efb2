import type { Event } from "@mcpsight/protocol";
import { mapEventText } from "../shared/event-text.js";

/**
 * PostgreSQL text cannot hold NUL (U+0000), which SQLite's can and JSON may carry (`\u0000`):
 * a statement binding one fails as a whole. So a NUL bound for a text value is stored as U+FFFD,
 * the replacement character, on the way in, for writes and lookups alike (a lookup of an id with
 * a NUL finds what its write stored). JSON payloads are stored as their JSON text, where a NUL is
 * the escape `\u0000`: they keep it verbatim.
 * A lone UTF-16 surrogate (half of an emoji cut in two) is no character either. `pg` sends a bound
 * string, and ingest its COPY text, as UTF-8, which already turns one into U+FFFD; an event's text
 * fields, which also travel in a JSON parameter when a retried batch is appended again (escaped as
 * `\ud83d`, which PostgreSQL refuses), get the same replacement here, as in SQLite
 * (shared/event-text.ts). So either way of appending stores the same text.
 */
const NUL = "\u0000";
const REPLACEMENT = "\uFFFD";

const hasNul = (value: unknown): value is string => typeof value === "string" && value.includes(NUL);

export const withoutNul = (text: string): string =>
  text.includes(NUL) ? text.replaceAll(NUL, REPLACEMENT) : text;

/** A statement parameter with NULs replaced: a string, or the strings of an array. */
export function storableParam(value: unknown): unknown {
  if (hasNul(value)) return withoutNul(value);
  if (Array.isArray(value) && value.some(hasNul))
    return value.map((item) => (typeof item === "string" ? withoutNul(item) : item));
  return value;
}

/**
 * A number as PostgreSQL reads it back exactly: `String(n)`, faster for the epoch-millisecond
 * timestamps the pass writes by the thousand. V8 writes integers above 2^30 as doubles (~200 ns
 * each); two halves of at most nine digits each are small integers, written from a cache.
 */
export function numberText(n: number): string {
  if (n < 1e9 || n > Number.MAX_SAFE_INTEGER || !Number.isInteger(n)) return String(n);
  let high = Math.floor(n / 1e8);
  let low = n - high * 1e8;
  // The division rounds: near a multiple of 1e8 the quotient may be one off.
  if (low < 0) {
    high -= 1;
    low += 1e8;
  } else if (low >= 1e8) {
    high += 1;
    low -= 1e8;
  }
  return `${high}${String(low + 1e8).slice(1)}`;
}

/**
 * A PostgreSQL array literal (`{1,"a b"}`), for an array bound as one text parameter and cast
 * (`$1::text[]`), or one element of a `text[]` of arrays, which `unnest` would otherwise flatten:
 * numbers as they are, strings quoted with backslashes and double quotes escaped, so any text
 * round-trips.
 */
export const arrayLiteral = (items: readonly (number | string)[]): string =>
  `{${items.map((item) => (typeof item === "number" ? item : arrayElement(item))).join(",")}}`;

const QUOTED = /[\\"]/;

/** A string as an element of an array literal: quoted, its backslashes and double quotes escaped. */
export const arrayElement = (text: string): string =>
  QUOTED.test(text) ? `"${text.replace(/[\\"]/g, "\\$&")}"` : `"${text}"`;

/**
 * A client's name and version are keys, together, of btree indexes (clients per hour, a user's
 * clients), whose entries hold at most 2,704 bytes. The protocol allows 512 UTF-16 units each,
 * which is up to 1,536 bytes of UTF-8 in other scripts than Latin: each is cut to this many bytes.
 */
export const CLIENT_FIELD_BYTES = 1200;

/** `text` cut (at a character) to at most `max` bytes of UTF-8. */
export function fitBytes(text: string, max: number): string {
  if (text.length * 3 <= max) return text; // a UTF-16 unit is at most 3 bytes of UTF-8
  let cut = text;
  for (let bytes = Buffer.byteLength(cut); bytes > max; bytes = Buffer.byteLength(cut))
    cut = cut.slice(0, cut.length - Math.ceil((bytes - max) / 3));
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut; // not half of a pair
}

const unstorable = (text: string) => text.includes(NUL) || !text.isWellFormed();
const storable = (text: string) => withoutNul(text.toWellFormed());

const tooLong = (value: string | undefined) =>
  value !== undefined && fitBytes(value, CLIENT_FIELD_BYTES) !== value;

/**
 * The event as PostgreSQL can store it: its text fields well-formed (as both backends store them:
 * shared/event-text.ts) and without NULs, its client's name and version cut to fit an index
 * entry; the same event when none of that applies, which is almost always.
 */
export function storableEvent(event: Event): Event {
  const named = mapEventText(event, unstorable, storable);
  if (!tooLong(named.clientName) && !tooLong(named.clientVersion)) return named;
  const copy = { ...named };
  if (copy.clientName !== undefined) copy.clientName = fitBytes(copy.clientName, CLIENT_FIELD_BYTES);
  if (copy.clientVersion !== undefined) copy.clientVersion = fitBytes(copy.clientVersion, CLIENT_FIELD_BYTES);
  return copy;
}
