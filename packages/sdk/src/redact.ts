// Privacy for a whole event: the structural pass (sanitize.ts), then the user's
// redactSensitiveInformation on every recorded string, then the protocol's size limits. The byte
// limit is checked against a bound computed by the same walk, so an ordinary event is never
// serialized on its own: delivery serializes it once, inside its batch. If the user's function
// fails the event is dropped: it is never sent unredacted.
import type { ErrorData, Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";
import { mapStrings, sanitize, takeJsonBound, truncate } from "@mcpsight/protocol/sanitize";
import type { RedactFunction } from "./types.js";

export type { RedactFunction };

/** Fields holding recorded content; identifiers, names and tags are not content. */
const CONTENT_FIELDS = ["parameters", "response", "properties", "identifyActorData"] as const;
/** Content dropped, in this order, when an event is still over the byte limit. */
const SHRINK_ORDER = ["response", "parameters", "properties", "identifyActorData"] as const;

const checkedText = async (text: string, fn: RedactFunction): Promise<string> => {
  const result = await fn(text);
  if (typeof result !== "string") throw new TypeError(`returned ${typeof result} instead of a string`);
  return result;
};

/** A sanitized event, and an upper bound on the bytes of its JSON from the same walk. */
export interface SanitizedEvent {
  event: Event;
  maxBytes: number;
}

/**
 * The structural pass on a whole event, synchronous: content fields sanitized, intent and error
 * scrubbed and truncated. {@link fitEventSize} then fits it to the byte limit.
 *
 * @example
 * sanitizeEvent(event).event.parameters; // secrets under secret-looking keys are "[REDACTED]"
 */
export function sanitizeEvent(event: Event): SanitizedEvent {
  return sanitizeOwnEvent({ ...event });
}

/**
 * {@link sanitizeEvent} on an event object the pipeline built and nobody else holds: its fields are
 * replaced in place instead of copying the event first. The content under them (the host's
 * arguments and result) is still copied by the walk, never modified.
 */
export function sanitizeOwnEvent(out: Event): SanitizedEvent {
  takeJsonBound(); // start counting from zero
  if (out.parameters !== undefined) out.parameters = sanitize(out.parameters);
  if (out.response !== undefined) out.response = sanitize(out.response);
  if (out.properties !== undefined) out.properties = sanitize(out.properties) as Event["properties"];
  if (out.identifyActorData !== undefined) {
    out.identifyActorData = sanitize(out.identifyActorData) as Event["identifyActorData"];
  }
  const contentBytes = takeJsonBound();
  if (out.userIntent !== undefined)
    out.userIntent = String(sanitize(out.userIntent, LIMITS.userIntentLength));
  if (out.error !== undefined) {
    const error: ErrorData = { message: String(sanitize(out.error.message, LIMITS.errorMessageLength)) };
    if (out.error.type !== undefined) error.type = truncate(out.error.type, LIMITS.nameLength);
    if (out.error.stack !== undefined) error.stack = truncate(out.error.stack, LIMITS.errorStackLength);
    out.error = error;
  }
  return { event: out, maxBytes: contentBytes + fieldBytes(out) };
}

const CONTENT_FIELD_SET: ReadonlySet<string> = new Set(CONTENT_FIELDS);

/** Bound on the JSON bytes of an event's fields other than the content ones (already counted). */
function fieldBytes(event: Event): number {
  let bytes = 2;
  for (const key in event) {
    const value = (event as Record<string, unknown>)[key];
    bytes += 6 * key.length + 4;
    if (CONTENT_FIELD_SET.has(key)) continue;
    if (typeof value === "string") bytes += 6 * value.length + 3;
    else if (typeof value === "object" && value !== null) bytes += flatObjectBytes(value);
    else bytes += 25;
  }
  return bytes;
}

/** `error` and `tags` hold strings; anything else is measured exactly (rare, small). */
function flatObjectBytes(value: object): number {
  let bytes = 2;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") return 3 * JSON.stringify(value).length + 2;
    bytes += 6 * (key.length + item.length) + 6;
  }
  return bytes;
}

/**
 * Returns the event as it may leave the process: the structural pass, then `fn` on every recorded
 * string, then the string limits again (fn may lengthen text). Rejects when `fn` throws or returns a
 * non-string; the caller then drops the event.
 *
 * @example
 * const safe = await redactEvent(event, (text) => text.replaceAll(/sk-\w+/g, "[key]"));
 */
export async function redactEvent(event: Event, fn: RedactFunction): Promise<SanitizedEvent> {
  const out = sanitizeEvent(event).event;
  for (const field of CONTENT_FIELDS) {
    const value = out[field];
    if (value !== undefined)
      (out as Record<string, unknown>)[field] = await mapStrings(value, (t) => checkedText(t, fn));
  }
  if (out.userIntent !== undefined) out.userIntent = await checkedText(out.userIntent, fn);
  if (out.error !== undefined) {
    const error: ErrorData = { ...out.error, message: await checkedText(out.error.message, fn) };
    if (error.stack !== undefined) error.stack = await checkedText(error.stack, fn);
    out.error = error;
  }
  return sanitizeEvent(out);
}

/**
 * Drops the bulkiest content until the event fits in `LIMITS.eventBytes`. Ordinary events are
 * well under the bound from the walk and returned as they are; only an event that might be over
 * is serialized to measure it.
 */
export function fitEventSize({ event, maxBytes }: SanitizedEvent): Event {
  if (maxBytes <= LIMITS.eventBytes) return event;
  let size = Buffer.byteLength(JSON.stringify(event));
  if (size <= LIMITS.eventBytes) return event;
  const out: Event = { ...event };
  for (const field of SHRINK_ORDER) {
    if (out[field] === undefined) continue;
    (out as Record<string, unknown>)[field] =
      field === "properties" || field === "identifyActorData"
        ? { omitted: `over the ${LIMITS.eventBytes}-byte event limit` }
        : `[omitted: the event was over ${LIMITS.eventBytes} bytes]`;
    size = Buffer.byteLength(JSON.stringify(out));
    if (size <= LIMITS.eventBytes) return out;
  }
  if (out.error?.stack !== undefined) out.error = { ...out.error, stack: truncate(out.error.stack, 4096) };
  return out;
}
