/**
 * Keyset cursors shared by every backend: the sort key of the last item of a page, as base64url
 * JSON. Opaque to clients.
 */
export type CursorKey = (string | number | null)[];

export class InvalidCursorError extends Error {
  constructor() {
    super("cursor is malformed; pass back the nextCursor of the previous page unchanged");
  }
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a cursor whose key has `length` parts; throws InvalidCursorError otherwise. */
export function decodeCursor(cursor: string, length: number): CursorKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  const valid =
    Array.isArray(value) &&
    value.length === length &&
    value.every((part) => part === null || typeof part === "string" || typeof part === "number");
  if (!valid) throw new InvalidCursorError();
  return value as CursorKey;
}
