// Privacy for a whole event: the structural pass (sanitize.ts), then the user's
// redactSensitiveInformation on every recorded string, then the protocol's size limits, checked
// on the event's JSON, which is what delivery sends (each event is serialized once). If the
// user's function fails the event is dropped: it is never sent unredacted.
import type { ErrorData, Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";
import { mapStrings, sanitize, truncate } from "./sanitize.js";

export type RedactFunction = (text: string) => string | Promise<string>;

/** Fields holding recorded content; identifiers, names and tags are not content. */
const CONTENT_FIELDS = ["parameters", "response", "properties", "identifyActorData"] as const;
/** Content dropped, in this order, when an event is still over the byte limit. */
const SHRINK_ORDER = ["response", "parameters", "properties", "identifyActorData"] as const;

const checkedText = async (text: string, fn: RedactFunction): Promise<string> => {
  const result = await fn(text);
  if (typeof result !== "string") throw new TypeError(`returned ${typeof result} instead of a string`);
  return result;
};

/**
 * The structural pass on a whole event, synchronous: content fields sanitized, intent and error
 * scrubbed and truncated. {@link serializeEvent} then fits it to the byte limit.
 *
 * @example
 * sanitizeEvent(event).parameters; // secrets under secret-looking keys are "[REDACTED]"
 */
export function sanitizeEvent(event: Event): Event {
  const out: Event = { ...event };
  for (const field of CONTENT_FIELDS) {
    if (out[field] !== undefined) (out as Record<string, unknown>)[field] = sanitize(out[field]);
  }
  if (out.userIntent !== undefined)
    out.userIntent = String(sanitize(out.userIntent, LIMITS.userIntentLength));
  if (out.error !== undefined) {
    const error: ErrorData = { message: String(sanitize(out.error.message, LIMITS.errorMessageLength)) };
    if (out.error.type !== undefined) error.type = truncate(out.error.type, LIMITS.nameLength);
    if (out.error.stack !== undefined) error.stack = truncate(out.error.stack, LIMITS.errorStackLength);
    out.error = error;
  }
  return out;
}

/**
 * Returns the event as it may leave the process: the structural pass, then `fn` on every recorded
 * string, then the string limits again (fn may lengthen text). Rejects when `fn` throws or returns a
 * non-string; the caller then drops the event.
 *
 * @example
 * const safe = await redactEvent(event, (text) => text.replaceAll(/sk-\w+/g, "[key]"));
 */
export async function redactEvent(event: Event, fn: RedactFunction): Promise<Event> {
  const out = sanitizeEvent(event);
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
 * The event's JSON as it is sent, within `LIMITS.eventBytes`: the bulkiest content is replaced
 * until it fits. Throws if the event cannot be serialized (the caller drops it).
 *
 * @example
 * delivery.enqueueSerialized(serializeEvent(sanitizeEvent(event)));
 */
export function serializeEvent(event: Event): string {
  let json = JSON.stringify(event);
  if (fits(json)) return json;
  const out: Event = { ...event };
  for (const field of SHRINK_ORDER) {
    if (out[field] === undefined) continue;
    (out as Record<string, unknown>)[field] =
      field === "properties" || field === "identifyActorData"
        ? { omitted: `over the ${LIMITS.eventBytes}-byte event limit` }
        : `[omitted: the event was over ${LIMITS.eventBytes} bytes]`;
    json = JSON.stringify(out);
    if (fits(json)) return json;
  }
  if (out.error?.stack !== undefined) out.error = { ...out.error, stack: truncate(out.error.stack, 4096) };
  return JSON.stringify(out);
}

/** UTF-8 takes at most 3 bytes per UTF-16 unit, so most events fit without counting bytes. */
const fits = (json: string): boolean =>
  json.length * 3 <= LIMITS.eventBytes ||
  (json.length <= LIMITS.eventBytes && Buffer.byteLength(json) <= LIMITS.eventBytes);
