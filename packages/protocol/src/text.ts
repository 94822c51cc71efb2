/**
 * Cuts a string to at most `max` UTF-16 units, ending in the protocol's marker
 * `…[truncated N chars]` (N: how far over the limit it was), never splitting a surrogate pair.
 * The same cut the SDKs make before sending.
 *
 * @example
 * truncateText("x".repeat(100), 40); // "x" × 19, then "…[truncated 60 chars]": 40 units
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `…[truncated ${text.length - max} chars]`;
  let keep = Math.max(0, max - note.length);
  const last = text.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--;
  return text.slice(0, keep) + note;
}
