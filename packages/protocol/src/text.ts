/**
 * The first `max` UTF-16 units of a string, one fewer when the cut would split a surrogate pair
 * (an emoji): half of one is no character, and a database may refuse it.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * Cuts a string to at most `max` UTF-16 units, ending in the protocol's marker
 * `…[truncated N chars]` (N: how far over the limit it was), never splitting a surrogate pair.
 * The same cut every SDK makes before sending.
 *
 * @example
 * truncate("x".repeat(100), 40); // "x" × 19, then "…[truncated 60 chars]": 40 units
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `…[truncated ${text.length - max} chars]`;
  return clip(text, Math.max(0, max - note.length)) + note;
}

/** {@link truncate} under the name the protocol package has exported it by. */
export const truncateText = truncate;
