import type { Event } from "@mcpsight/protocol";

/** Fields holding JSON, stored as JSON text (where any character is safe as an escape). */
const JSON_FIELDS = new Set<string>(["parameters", "response"] satisfies (keyof Event)[]);

/**
 * The event with `fix` applied to each text field `broken` finds (ids, names, versions, intent,
 * the error's message, type and stack); the same event when none is, which is almost always. Its
 * JSON fields (parameters, response, user data, tags, properties) are left as they are.
 */
export function mapEventText(
  event: Event,
  broken: (text: string) => boolean,
  fix: (text: string) => string,
): Event {
  const needs = (value: unknown): value is string => typeof value === "string" && broken(value);
  let copy: Event | undefined;
  for (const [key, value] of Object.entries(event))
    if (needs(value) && !JSON_FIELDS.has(key)) {
      copy ??= { ...event };
      (copy as Record<string, unknown>)[key] = fix(value);
    }
  const error = event.error;
  if (error && (needs(error.message) || needs(error.type) || needs(error.stack))) {
    copy ??= { ...event };
    copy.error = {
      message: needs(error.message) ? fix(error.message) : error.message,
      ...(error.type === undefined ? {} : { type: needs(error.type) ? fix(error.type) : error.type }),
      ...(error.stack === undefined ? {} : { stack: needs(error.stack) ? fix(error.stack) : error.stack }),
    };
  }
  return copy ?? event;
}

/**
 * The event with each lone UTF-16 surrogate (half of an emoji cut in two) in its text fields
 * replaced by U+FFFD. UTF-8 has no encoding for one: SQLite would store bytes that are not UTF-8
 * and read them back as three replacement characters (so the dashboard could not open such a
 * user by the id it shows), and PostgreSQL refuses one. Both backends store what this returns.
 */
export const wellFormedEvent = (event: Event): Event =>
  mapEventText(
    event,
    (text) => !text.isWellFormed(),
    (text) => text.toWellFormed(),
  );
