/**
 * Arrays of numbers and booleans as statement parameters in PostgreSQL's binary array format:
 * what the pass binds most (keys, timestamps, counters), written straight into a buffer — no
 * text per element for Node to build nor for PostgreSQL to parse. `pg` sends a `Buffer`
 * parameter as binary; PostgreSQL reads it as the type the statement casts the parameter to
 * (`$1::bigint[]`), so only parameters cast to an array of one of these types, the same way
 * wherever they appear, go this way (`arrayCasts`).
 */
export interface ElementType {
  oid: number;
  /** Bytes per element. */
  size: 1 | 4 | 8;
}

const INT8: ElementType = { oid: 20, size: 8 };
const INT4: ElementType = { oid: 23, size: 4 };
const BOOL: ElementType = { oid: 16, size: 1 };
const TYPES: Record<string, ElementType> = {
  bigint: INT8,
  int8: INT8,
  integer: INT4,
  int: INT4,
  int4: INT4,
  boolean: BOOL,
  bool: BOOL,
};

/**
 * For each parameter (by index from 0) of a statement, the element type it is cast to an array
 * of, where every occurrence of the parameter is cast so; undefined otherwise.
 */
export function arrayCasts(text: string): (ElementType | undefined)[] {
  const seen = new Map<number, string>();
  for (const match of text.matchAll(/\$(\d+)(::[a-z0-9]+\[\])?/gi)) {
    const index = Number(match[1]) - 1;
    const cast = (match[2] ?? "").toLowerCase();
    const before = seen.get(index);
    seen.set(index, before === undefined || before === cast ? cast : "");
  }
  const casts: (ElementType | undefined)[] = [];
  for (const [index, cast] of seen) casts[index] = TYPES[cast.slice(2, -2)];
  return casts;
}

const TWO_32 = 4294967296;

/** Writes `value`, a safe integer, as a big-endian 64-bit integer at `at`. */
export function writeInt8(buffer: Buffer, value: number, at: number): void {
  const high = Math.floor(value / TWO_32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * TWO_32, at + 4);
}

const fits = (value: unknown, type: ElementType): boolean =>
  type.size === 1
    ? typeof value === "boolean"
    : typeof value === "number" &&
      (type.size === 8 ? Number.isSafeInteger(value) : Number.isInteger(value) && (value | 0) === value);

/**
 * `values` (non-empty) as a one-dimensional binary array of `type`, or null when an element is
 * not a value of it (a fraction, a string…): that array goes as text, for PostgreSQL to accept or
 * refuse as it would any other.
 */
export function binaryArray(values: readonly unknown[], type: ElementType): Buffer | null {
  const n = values.length;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) nulls++;
    else if (!fits(value, type)) return null;
  }
  const buffer = Buffer.allocUnsafe(20 + n * 4 + (n - nulls) * type.size);
  buffer.writeInt32BE(1, 0); // dimensions
  buffer.writeInt32BE(nulls > 0 ? 1 : 0, 4);
  buffer.writeUInt32BE(type.oid, 8);
  buffer.writeInt32BE(n, 12);
  buffer.writeInt32BE(1, 16); // lower bound
  let at = 20;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      buffer.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    buffer.writeInt32BE(type.size, at);
    at += 4;
    if (type.size === 8) writeInt8(buffer, value as number, at);
    else if (type.size === 4) buffer.writeInt32BE(value as number, at);
    else buffer[at] = value ? 1 : 0;
    at += type.size;
  }
  return buffer;
}
