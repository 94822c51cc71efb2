/**
 * The one order derivation uses: by timestamp, then by event id. It depends only on the events
 * themselves, never on the order they arrived in, so every rule defined on it ("the earliest
 * event", "the latest identification before it") gives the same answer for the same set.
 */
export interface Ordered {
  ts: number;
  id: string;
}

/**
 * Compares strings by code point, as SQLite and PostgreSQL (`COLLATE "C"`, UTF-8) do; JavaScript's
 * `<` compares UTF-16 units, which puts characters above U+FFFF before U+E000–U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) encode code points above FFFF: move them above E000–FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      if (x < 0xe000) x += 0x2000;
      else x -= 0x800;
      if (y < 0xe000) y += 0x2000;
      else y -= 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

export const byOrder = (a: Ordered, b: Ordered): number => a.ts - b.ts || compareIds(a.id, b.id);

/** `list` sorted by `byOrder`, in place; a list in order already (the usual case) is only checked. */
export function inOrder<T extends Ordered>(list: T[]): T[] {
  for (let i = 1; i < list.length; i++)
    if (byOrder(list[i - 1] as T, list[i] as T) > 0) return list.sort(byOrder);
  return list;
}

/**
 * Splits items sorted by `byOrder` (their time is `tsOf(item)`) where the gap between neighbours exceeds `gap` ms: the
 * connected components of "within `gap` of each other", the same whatever the arrival order.
 */
export function components<T>(sorted: T[], gap: number, tsOf: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  for (const e of sorted) {
    const last = current.at(-1);
    if (last !== undefined && tsOf(e) - tsOf(last) > gap) {
      out.push(current);
      current = [];
    }
    current.push(e);
  }
  if (current.length > 0) out.push(current);
  return out;
}
