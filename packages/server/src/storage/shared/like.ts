/** Escapes `\`, `%` and `_` for a `LIKE … ESCAPE '\'` pattern (both backends). */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
