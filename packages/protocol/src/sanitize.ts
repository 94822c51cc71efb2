// The structural privacy pass, applied to everything recorded before it leaves the process:
// values under secret-looking keys, credential-looking strings, binary content and oversized
// strings are replaced, and the value becomes plain JSON (no cycles, classes or functions).
import { LIMITS, REDACTED } from "./constants.js";
import { clip, truncate } from "./text.js";

export { clip, truncate };

/** Key fragments (lower-case, separators removed) whose values are secrets. */
const SECRET_KEY_PARTS = [
  "token",
  "password",
  "passwd",
  "passphrase",
  "secret",
  "apikey",
  "authorization",
  "cookie",
  "session",
  "privatekey",
  "accesskey",
  "credential",
  "bearer",
  "signature",
  "clientsecret",
];
/** Keys that are secrets only as a whole word (as fragments they would match too much). */
const SECRET_KEYS = new Set(["auth", "pwd", "pass", "jwt", "otp", "ssn", "xapikey"]);
/** Keys whose values are binary payloads in MCP content (image/audio `data`, resource `blob`). */
const BINARY_KEYS = new Set(["blob"]);

const CREDENTIAL_VALUE = /^\s*(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}\s*$/i;
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(;[\w=.-]+)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const BASE64_MIN_LENGTH = 256;
const MAX_DEPTH = 32;

const secretKeyCache = new Map<string, boolean>();

/** True when values under `key` are treated as secrets (case-insensitive, separators ignored). */
export function isSecretKey(key: string): boolean {
  const cached = secretKeyCache.get(key);
  if (cached !== undefined) return cached;
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  const secret = SECRET_KEYS.has(normalized) || SECRET_KEY_PARTS.some((part) => normalized.includes(part));
  if (secretKeyCache.size < 10_000) secretKeyCache.set(key, secret);
  return secret;
}

/**
 * Whether a string starting with this UTF-16 unit can match {@link CREDENTIAL_VALUE} ("bearer …",
 * "basic …", after optional whitespace, which is ASCII ≤ 32 or non-ASCII): skips the regex for most text.
 */
const mayBeCredential = (first: number): boolean =>
  (first | 0x20) === 0x62 /* b, B */ || first <= 0x20 || first >= 0x80;

/**
 * Placeholder for a string that is a credential, base64 payload or data URL; undefined otherwise.
 * Base64 may be wrapped in lines (MIME), but never contains spaces, so prose is left alone.
 */
function scrubString(text: string): string | undefined {
  if (text.length >= 12 && mayBeCredential(text.charCodeAt(0)) && CREDENTIAL_VALUE.test(text))
    return REDACTED;
  // The scheme is case-insensitive (RFC 2397), like the rest of the pattern.
  if ((text.charCodeAt(0) | 0x20) === 0x64 /* d, D */ && DATA_URL.test(text)) {
    return `[data URL, ${text.length} chars]`;
  }
  if (text.length >= BASE64_MIN_LENGTH && BASE64.test(text.replace(/\r?\n/g, ""))) {
    return `[base64 data, ${text.length} chars]`;
  }
  return undefined;
}

const binaryPlaceholder = (kind: string, value: unknown): string =>
  `[${kind} omitted${typeof value === "string" ? `, ${value.length} chars` : ""}]`;

/**
 * Returns a JSON-safe, redacted copy of `value`. `maxString` bounds every string.
 *
 * @example
 * sanitize({ apiKey: "sk-1", query: "x" }); // { apiKey: "[REDACTED]", query: "x" }
 */
export function sanitize(value: unknown, maxString: number = LIMITS.valueStringLength): unknown {
  return walk(value, 0, maxString, []);
}

/**
 * Upper bound on the UTF-8 bytes of `JSON.stringify` of everything {@link sanitize} returned since
 * the last call: the walk already visits every value, so the event size limit is checked without
 * serializing each event (delivery serializes whole batches, which is cheaper per event). A string
 * costs at most 6 bytes per UTF-16 unit (`\u001f`, a lone surrogate), plus quotes and a separator.
 */
export function takeJsonBound(): number {
  const bound = jsonBound;
  jsonBound = 0;
  return bound;
}

let jsonBound = 0;
/** Bytes of a finite number, `null`, a boolean or a pair of brackets, with its separator. */
const SCALAR_BOUND = 25;

const measured = (text: string): string => {
  jsonBound += 6 * text.length + 3;
  return text;
};

// The walk is module-level (no closures per call) and detects cycles with the stack of objects
// being visited: only an ancestor can make a cycle, and depth is bounded, so a short array is
// cheaper than a WeakSet.
function walk(current: unknown, depth: number, maxString: number, ancestors: object[]): unknown {
  switch (typeof current) {
    case "string":
      return measured(scrubString(current) ?? truncate(current, maxString));
    case "number":
      jsonBound += SCALAR_BOUND;
      return Number.isFinite(current) ? current : measured(String(current));
    case "boolean":
      jsonBound += SCALAR_BOUND;
      return current;
    case "bigint":
      return measured(current.toString());
    case "object":
      break;
    default:
      return undefined; // functions, symbols, undefined
  }
  jsonBound += SCALAR_BOUND;
  if (current === null) return null;
  if (depth >= MAX_DEPTH) return measured("[nested too deep]");
  if (ancestors.includes(current)) return measured("[circular]");
  // Plain JSON objects (what tool arguments and results almost always are) skip the class checks.
  const proto = Object.getPrototypeOf(current);
  if (
    (proto === Object.prototype || proto === null) &&
    typeof (current as { toJSON?: unknown }).toJSON !== "function"
  ) {
    ancestors.push(current);
    try {
      return walkObject(current as Record<string, unknown>, depth, maxString, ancestors);
    } finally {
      ancestors.pop();
    }
  }
  if (current instanceof Date)
    return Number.isNaN(current.getTime()) ? null : measured(current.toISOString());
  if (ArrayBuffer.isView(current) || current instanceof ArrayBuffer) {
    return measured(`[binary, ${current.byteLength} bytes]`);
  }
  ancestors.push(current);
  try {
    if (Array.isArray(current)) {
      const out = new Array<unknown>(current.length);
      for (let i = 0; i < current.length; i++) {
        const item = walk(current[i], depth + 1, maxString, ancestors);
        if (item === undefined) jsonBound += SCALAR_BOUND; // written as null
        out[i] = item ?? null;
      }
      return out;
    }
    if (current instanceof Map) return walk(Object.fromEntries(current), depth, maxString, ancestors);
    if (current instanceof Set) return walk([...current], depth, maxString, ancestors);
    const toJSON = (current as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return walk(toJSON.call(current), depth + 1, maxString, ancestors);
    return walkObject(current as Record<string, unknown>, depth, maxString, ancestors);
  } finally {
    ancestors.pop();
  }
}

function walkObject(
  object: Record<string, unknown>,
  depth: number,
  maxString: number,
  ancestors: object[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // MCP image/audio content: keep the type and mime type, drop the payload.
  const binaryContent = object.type === "image" || object.type === "audio";
  for (const key of Object.keys(object)) {
    const item = object[key];
    jsonBound += 6 * key.length + 3; // a key left out (undefined) only makes the bound looser
    let value: unknown;
    if (binaryContent && key === "data") value = measured(binaryPlaceholder(String(object.type), item));
    else if (BINARY_KEYS.has(key) && typeof item === "string") {
      value = measured(binaryPlaceholder("blob", item));
    } else if (item !== null && typeof item !== "number" && typeof item !== "boolean" && isSecretKey(key)) {
      // Numbers and booleans under such keys (max_tokens, session_count) are not secrets.
      if (item === undefined) continue;
      value = measured(REDACTED);
    } else {
      value = walk(item, depth + 1, maxString, ancestors);
      if (value === undefined) continue;
    }
    // Assigning "__proto__" would set the copy's prototype and lose the entry; JSON keeps it as a key.
    if (key === "__proto__")
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** Applies `fn` to every string inside `value` (a sanitized JSON value), returning a new value. */
export async function mapStrings(
  value: unknown,
  fn: (text: string) => string | Promise<string>,
): Promise<unknown> {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return Promise.all(value.map((item) => mapStrings(item, fn)));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await mapStrings(item, fn)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
