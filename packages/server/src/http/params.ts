import { AppError, invalidQuery } from "../errors.js";
import type { Bucket, PageRequest, TimeRange } from "../storage/index.js";
import { DAY_MS } from "../storage/time.js";

export type Query = Record<string, string | undefined>;

const MAX_RANGE_MS = 400 * DAY_MS;
const MAX_BUCKETS = 2000;

/** The latest instant a JavaScript Date holds (+275760-09-13): later times have no ISO form. */
const MAX_TIME_MS = 8_640_000_000_000_000;

function parseTime(field: string, value: string): number {
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(time))
    throw invalidQuery(field, "must be an ISO 8601 date-time or epoch milliseconds");
  if (time > MAX_TIME_MS)
    throw invalidQuery(field, `must be at most ${MAX_TIME_MS} epoch milliseconds (+275760-09-13)`);
  return time;
}

/** `from`/`to` with the defaults of docs/API.md: the last 7 days. */
export function parseRange(query: Query, now = Date.now()): TimeRange {
  const to = query.to ? parseTime("to", query.to) : now;
  const from = query.from ? parseTime("from", query.from) : to - 7 * DAY_MS;
  if (from >= to) throw invalidQuery("from", "must be before to");
  if (to - from > MAX_RANGE_MS) throw invalidQuery("from", "must be at most 400 days before to");
  return { from, to };
}

export function parseBucket(query: Query, range: TimeRange): Bucket {
  const bucket = query.bucket ?? (range.to - range.from <= 2 * DAY_MS ? "hour" : "day");
  if (bucket !== "hour" && bucket !== "day") throw invalidQuery("bucket", 'must be "hour" or "day"');
  const size = bucket === "hour" ? 3_600_000 : DAY_MS;
  if ((range.to - range.from) / size > MAX_BUCKETS)
    throw invalidQuery("bucket", `gives more than ${MAX_BUCKETS} buckets; use "day" or a shorter range`);
  return bucket;
}

export function parsePage(query: Query, defaults = { limit: 50, max: 200 }): PageRequest {
  let limit = defaults.limit;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > defaults.max)
      throw invalidQuery("limit", `must be an integer from 1 to ${defaults.max}`);
  }
  return { limit, cursor: query.cursor || null };
}

export function parseBoolean(query: Query, field: string): boolean | null {
  const value = query[field];
  if (value === undefined || value === "") return null;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidQuery(field, 'must be "true" or "false"');
}

export function parseEnum<T extends string>(
  query: Query,
  field: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = query[field];
  if (value === undefined || value === "") return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalidQuery(field, `must be one of ${allowed.join(", ")}`);
}

export const optional = (query: Query, field: string): string | null => {
  const value = query[field];
  return value === undefined || value === "" ? null : value;
};

/**
 * The named fields of a JSON body, each a non-empty string; a missing or empty one is a 400
 * naming every such field.
 */
export function parseBodyStrings<K extends string>(body: unknown, fields: readonly K[]): Record<K, string> {
  const value = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const details = fields
    .filter((field) => typeof value[field] !== "string" || value[field] === "")
    .map((field) => ({ field, reason: "is required (a non-empty string)" }));
  if (details.length > 0)
    throw new AppError("invalid_body", `Send {${fields.map((f) => `"${f}"`).join(", ")}}.`, details);
  return Object.fromEntries(fields.map((field) => [field, value[field]])) as Record<K, string>;
}

/** A body field that must be one of `allowed`. */
export function parseBodyEnum<T extends string>(body: unknown, field: string, allowed: readonly T[]): T {
  const value = parseBodyStrings(body, [field])[field] as string;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new AppError("invalid_body", `${field} must be one of ${allowed.join(", ")}.`, [
    { field, reason: `must be one of ${allowed.join(", ")}` },
  ]);
}

/** A token's name: 1–100 characters. */
export function parseTokenName(body: unknown): string {
  const { name } = parseBodyStrings(body, ["name"]);
  if ([...name].length > 100)
    throw new AppError("invalid_body", "name must be at most 100 characters.", [
      { field: "name", reason: "must be at most 100 characters" },
    ]);
  return name;
}
