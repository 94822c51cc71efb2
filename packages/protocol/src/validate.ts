import type { z } from "zod/v4";
import { LIMITS } from "./constants.js";
import { batchSchema, type Event, eventSchema, type Rejection } from "./schema.js";
import { validEvent } from "./valid-event.js";

/** One problem found in a batch: which event (absent for envelope problems), which field, and why. */
export interface ValidationIssue {
  index?: number;
  field: string;
  reason: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const fieldOf = (path: PropertyKey[]): string => (path.length === 0 ? "(root)" : path.map(String).join("."));

function issuesOf(error: z.ZodError, index?: number): ValidationIssue[] {
  return error.issues.flatMap((issue) => {
    const at = { ...(index === undefined ? {} : { index }), field: fieldOf(issue.path) };
    // zod 4 wraps the problems of a bad record key (a tag key); report each with the key's path.
    if (issue.code === "invalid_key" && issue.issues.length > 0)
      return issue.issues.map((inner) => ({ ...at, reason: inner.message }));
    return [{ ...at, reason: issue.message }];
  });
}

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))`, or Infinity when the value is not
 * plain JSON data (class instances, BigInt, very deep or cyclic values) and must be serialized to
 * be measured. A UTF-16 unit never takes more than 6 bytes in JSON (`\u0000`), a number never
 * more than 24 characters. Far cheaper than serializing, and almost every event is far below the
 * limit, so the exact size is only computed for the rare event near it.
 */
function jsonBytesAtMost(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return 2 + 6 * value.length;
    case "number":
      return 24;
    case "boolean":
      return 5;
    case "undefined":
      return 4; // "null" inside arrays, omitted elsewhere
    case "object": {
      if (value === null) return 4;
      if (depth > LIMITS.jsonDepth) return Number.POSITIVE_INFINITY;
      let bytes = 2;
      if (Array.isArray(value)) {
        for (const item of value) bytes += 1 + jsonBytesAtMost(item, depth + 1);
        return bytes;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return Number.POSITIVE_INFINITY;
      for (const key in value)
        bytes += 4 + 6 * key.length + jsonBytesAtMost((value as Record<string, unknown>)[key], depth + 1);
      return bytes;
    }
    default:
      return Number.POSITIVE_INFINITY;
  }
}

/** Whether arrays and objects nest deeper than `limit` levels in `value` (looks no deeper than that). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value))
    if (nestedDeeperThan(item, limit - 1)) return true;
  return false;
}

const JSON_FIELDS = ["parameters", "response", "identifyActorData", "properties"] as const;

/** The event as the schema parses it; the common, valid event is checked by hand (valid-event.ts). */
function parseEvent(input: unknown, index: number | undefined): ValidationResult<Event> {
  const event = validEvent(input);
  if (event !== undefined) return { ok: true, value: event };
  const parsed = eventSchema.safeParse(input);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, issues: issuesOf(parsed.error, index) };
}

/** Validates one event, including its serialized size and the nesting of its JSON fields. */
export function validateEvent(input: unknown, index?: number): ValidationResult<Event> {
  const parsed = parseEvent(input, index);
  if (!parsed.ok) return parsed;
  const event = parsed.value;
  if (jsonBytesAtMost(event) <= LIMITS.eventBytes) return parsed;
  // Rare from here: an event near the size limit, with values that are not plain JSON data, or
  // nested too deeply to measure or serialize safely.
  const tooDeep = JSON_FIELDS.filter((field) => nestedDeeperThan(event[field], LIMITS.jsonDepth));
  if (tooDeep.length > 0)
    return {
      ok: false,
      issues: tooDeep.map((field) => ({
        ...(index === undefined ? {} : { index }),
        field,
        reason: `nests arrays and objects more than ${LIMITS.jsonDepth} levels deep`,
      })),
    };
  const bytes = Buffer.byteLength(JSON.stringify(event));
  if (bytes > LIMITS.eventBytes) {
    return {
      ok: false,
      issues: [
        {
          ...(index === undefined ? {} : { index }),
          field: "(event)",
          reason: `is ${bytes} bytes; the limit is ${LIMITS.eventBytes}`,
        },
      ],
    };
  }
  return { ok: true, value: event };
}

/** An event of a batch that passed validation, with its position in the batch. */
export interface IndexedEvent {
  index: number;
  event: Event;
}

/** A batch whose envelope is valid: the events that passed, and one rejection per problem of the others. */
export interface ValidatedBatch {
  events: IndexedEvent[];
  rejected: Rejection[];
  droppedEvents?: number;
}

/**
 * Validates a batch: the envelope as a whole (not an object, `events` not an array of 1 to 1,000,
 * a bad `droppedEvents` fail the batch), then each event on its own. A bad event, or one repeating
 * the id of an earlier event of the batch, is rejected with code `invalid_event` (one entry per
 * problem) without failing the others.
 */
export function validateBatch(input: unknown): ValidationResult<ValidatedBatch> {
  const envelope = batchSchema.safeParse(input);
  if (!envelope.success) return { ok: false, issues: issuesOf(envelope.error) };
  const events: IndexedEvent[] = [];
  const rejected: Rejection[] = [];
  const seen = new Map<string, number>();
  envelope.data.events.forEach((raw, index) => {
    const result = validateEvent(raw, index);
    if (!result.ok) {
      for (const { field, reason } of result.issues)
        rejected.push({ index, code: "invalid_event", field, reason });
      return;
    }
    const first = seen.get(result.value.id);
    if (first !== undefined) {
      rejected.push({
        index,
        code: "invalid_event",
        field: "id",
        reason: `repeats the id of event ${first}`,
      });
      return;
    }
    seen.set(result.value.id, index);
    events.push({ index, event: result.value });
  });
  const batch: ValidatedBatch = { events, rejected };
  if (envelope.data.droppedEvents !== undefined) batch.droppedEvents = envelope.data.droppedEvents;
  return { ok: true, value: batch };
}
