import type { Event } from "@mcpsight/protocol";

/** Fields holding JSON, stored as JSON text (where any character is safe as an escape). */
const JSON_FIELDS = new Set<string>(["parameters", "response"] satisfies (keyof Event)[]);

/**
 * The event with `fix` applied to each text field `broken` finds (ids, names, versions, intent,
 * the error's message, type and stack); the same event when none is, which is almost always. Its
 * JSON fields (parameters, response, user data, tags, properties) are left as they are. It runs
 * for every event stored: a plain loop, allocating only when a field needs the fix.
 */
export function mapEventText(
  event: Event,
  broken: (text: string) => boolean,
  fix: (text: string) => string,
): Event {
  const fields = event as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "string" && broken(value) && !JSON_FIELDS.has(key)) {
      copy ??= { ...fields };
      copy[key] = fix(value);
    }
  }
  const error = event.error;
  if (
    error &&
    (broken(error.message) || (error.type && broken(error.type)) || (error.stack && broken(error.stack)))
  ) {
    const text = (value: string) => (broken(value) ? fix(value) : value);
    copy ??= { ...fields };
    copy.error = {
      message: text(error.message),
      ...(error.type === undefined ? {} : { type: text(error.type) }),
      ...(error.stack === undefined ? {} : { stack: text(error.stack) }),
    };
  }
  return (copy as Event | undefined) ?? event;
}

const notWellFormed = (text: string) => !text.isWellFormed();
const toWellFormed = (text: string) => text.toWellFormed();

/**
 * The event with each lone UTF-16 surrogate (half of an emoji cut in two) in its text fields
 * replaced by U+FFFD. UTF-8 has no encoding for one: SQLite would store bytes that are not UTF-8
 * and read them back as three replacement characters (so the dashboard could not open such a
 * user by the id it shows), and PostgreSQL refuses one. Both backends store what this returns.
 */
export const wellFormedEvent = (event: Event): Event => mapEventText(event, notWellFormed, toWellFormed);
