import { fromEnv, UsageError } from "./common.js";

/** An option's value and where it came from (`--port` or `MCPSIGHT_PORT`): errors name the source. */
export interface Setting {
  value: string;
  from: string;
}

/** The flag's value, else its variable's (unset when empty); undefined when neither is given. */
export function option(
  values: Record<string, string | boolean | undefined>,
  flag: string,
  variable: string,
): Setting | undefined {
  const given = values[flag];
  if (typeof given === "string") return { value: given, from: `--${flag}` };
  const value = fromEnv(variable);
  return value === undefined ? undefined : { value, from: variable };
}

/** A whole number from `min` to `max` (unbounded when omitted); `meaning` says what it counts. */
export function wholeNumber(setting: Setting, meaning: string, min: number, max?: number): number {
  const { value, from } = setting;
  // Digits only: Number() would also take "", "1e3" and "0x10".
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (n >= min && (max === undefined || n <= max)) return n;
  const range = max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
  const expected = Number.isNaN(n) ? `a whole number ${range}` : range;
  throw new UsageError(`${from} must be ${expected} (${meaning}), got "${value}"`);
}

const DEFAULT_PORT = 4747;

/** The collector's port; `anyFree` allows 0, any free port, which only `start` can use. */
export function port(setting: Setting | undefined, anyFree: boolean): number {
  if (!setting) return DEFAULT_PORT;
  return anyFree
    ? wholeNumber(setting, "the collector's port; 0 = any free port", 0, 65535)
    : wholeNumber(setting, "the collector's port", 1, 65535);
}

/** pino's levels, which `--log-level` takes. */
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function logLevel(setting: Setting | undefined): string {
  if (!setting) return "info";
  if (LOG_LEVELS.includes(setting.value)) return setting.value;
  const allowed = `${LOG_LEVELS.slice(0, -1).join(", ")} or ${LOG_LEVELS.at(-1)}`;
  throw new UsageError(`${setting.from} must be ${allowed} (pino's levels), got "${setting.value}"`);
}

/** The collector's URL as clients reach it (no trailing slash): absolute, http: or https:. */
export function publicUrl(setting: Setting | undefined): string | undefined {
  if (!setting) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(setting.value);
  } catch {
    // Not a URL at all: the same message as for another scheme.
  }
  if (url && (url.protocol === "http:" || url.protocol === "https:"))
    return setting.value.trim().replace(/\/+$/, "");
  throw new UsageError(
    `${setting.from} must be an absolute http:// or https:// URL, such as https://analytics.example.com or http://203.0.113.7:4747, got "${setting.value}"`,
  );
}
