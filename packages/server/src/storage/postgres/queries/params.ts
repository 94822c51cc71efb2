// Helpers for building parameterised PostgreSQL queries.
import { decodeCursor, InvalidCursorError } from "../../cursor.js";

/** Appends a parameter and returns its placeholder (`$n`). */
export function param(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/**
 * Decodes a keyset cursor whose parts must be numbers ("n") or strings ("s"). PostgreSQL compares
 * typed columns, so a part of the wrong type is a malformed cursor, not a query error.
 */
export function decodeTypedCursor(cursor: string, kinds: ("n" | "s")[]): (number | string)[] {
  const parts = decodeCursor(cursor, kinds.length);
  return parts.map((part, i) => {
    const ok =
      kinds[i] === "n" ? typeof part === "number" && Number.isFinite(part) : typeof part === "string";
    if (!ok) throw new InvalidCursorError();
    return part as number | string;
  });
}
