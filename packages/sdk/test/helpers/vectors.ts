// Reads the protocol's shared vectors (packages/protocol/vectors) and expands their macros, as
// every SDK's runner does (the macros are documented at the top of scrub.json).
import { readFileSync } from "node:fs";

/** The parsed JSON of one vectors file. */
export function readVectors<T>(name: string): T {
  const url = new URL(`../../../protocol/vectors/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as T;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function text(value: unknown): string {
  const expanded = expandMacros(value);
  if (typeof expanded !== "string") throw new Error(`macro part is not a string: ${JSON.stringify(value)}`);
  return expanded;
}

function nest(key: string | null, depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = key === null ? [value] : { [key]: value };
  return value;
}

/** Expands `$repeat`, `$concat` and `$nest` anywhere in a vector value. */
export function expandMacros(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandMacros);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const args = value[keys[0] as string] as unknown[];
    switch (keys[0]) {
      case "$repeat":
        return text(args[0]).repeat(args[1] as number);
      case "$concat":
        return args.map(text).join("");
      case "$nest":
        return nest(args[0] as string | null, args[1] as number, expandMacros(args[2]));
    }
  }
  // defineProperty keeps a "__proto__" key an ordinary key, as JSON.parse does.
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    Object.defineProperty(out, key, {
      value: expandMacros(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
