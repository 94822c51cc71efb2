/** Helpers for showing user-sent JSON: one-line previews and folding of long strings. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings longer than this are folded behind a "show more" button. */
export const FOLD_AT = 200;

export function isContainer(value: unknown): value is Json[] | { [key: string]: Json } {
  return typeof value === "object" && value !== null;
}

/** A short one-line description of a value, e.g. `{ query, limit }` or `[3 items]`. */
export function preview(value: unknown, max = 60): string {
  if (Array.isArray(value)) return value.length === 1 ? "[1 item]" : `[${value.length} items]`;
  if (isContainer(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return "{}";
    let out = "";
    for (const key of keys) {
      const next = out ? `${out}, ${key}` : key;
      if (next.length > max) return `{ ${out || key.slice(0, max)}, … }`;
      out = next;
    }
    return `{ ${out} }`;
  }
  if (typeof value === "string") {
    const oneLine = value.replace(/\s+/g, " ");
    return JSON.stringify(oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine);
  }
  if (value === undefined) return "undefined";
  return JSON.stringify(value);
}

/** Splits a string into what is shown and how many characters are folded away. */
export function foldString(value: string, limit = FOLD_AT): { head: string; hidden: number } {
  if (value.length <= limit) return { head: value, hidden: 0 };
  return { head: value.slice(0, limit), hidden: value.length - limit };
}

/** Pretty JSON for copying; never throws on cycles or BigInt. */
export function toPrettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The arguments of a request. SDKs record `tools/call` and `prompts/get` parameters as the whole
 * request params (`{ name, arguments }`); the name is already shown, so show just the arguments.
 */
export function requestArguments(parameters: unknown, resourceName: string | null): unknown {
  if (!isContainer(parameters) || Array.isArray(parameters)) return parameters;
  const keys = Object.keys(parameters);
  const onlyNameAndArgs = keys.every((k) => k === "name" || k === "arguments" || k === "_meta");
  if (onlyNameAndArgs && "arguments" in parameters && parameters.name === resourceName) {
    return parameters.arguments ?? {};
  }
  return parameters;
}
