import { LIMITS } from "./constants.js";
import { type Event, PATTERNS } from "./schema.js";
import { parseTimestamp } from "./timestamp.js";

/**
 * The fast path of event validation: `eventSchema` checks each field through several layers of
 * generic parsers, about a third of the collector's ingest work on its main thread. Here the same
 * rules are checked by hand for an event that follows them all, and the same value is built: the
 * known fields in the schema's order, unknown ones left out, the values themselves (records and
 * the error object copied, as zod copies them). Anything not plainly valid gives `undefined`, and
 * the caller validates with the schema, so every rejection and its message stay the schema's.
 * valid-event.test.ts checks that both agree.
 */

type Fields = Record<string, unknown>;

/** What a copy gives for a value the schema refuses. */
const INVALID: unique symbol = Symbol("invalid");

/** zod's test for an object (`util.isObject`). */
const isObject = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A string of `min` to `max` UTF-16 units. */
const isText = (value: unknown, max: number, min = 0): value is string =>
  typeof value === "string" && value.length >= min && value.length <= max;

/** Absent (undefined), or a string of `min` to `max` units. */
const isOptionalText = (value: unknown, max: number, min = 0): boolean =>
  value === undefined || isText(value, max, min);

const isOptionalMatch = (value: unknown, pattern: RegExp): boolean =>
  value === undefined || (typeof value === "string" && pattern.test(value));

const isOptionalFlag = (value: unknown): boolean => value === undefined || typeof value === "boolean";

/** `z.number().nonnegative()`: a finite number, not below 0. */
const isOptionalDuration = (value: unknown): boolean =>
  value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= 0);

/** zod's test for a value a record accepts (`util.isPlainObject`). */
function isPlainObject(value: unknown): value is Fields {
  if (!isObject(value)) return false;
  const ctor = value.constructor;
  if (ctor === undefined) return true;
  const proto = (ctor as { prototype?: unknown }).prototype;
  return isObject(proto) && Object.hasOwn(proto, "isPrototypeOf");
}

const isTag = (key: string, value: unknown): boolean =>
  isText(key, LIMITS.tagKeyLength, 1) &&
  PATTERNS.tagKey.test(key) &&
  isText(value, LIMITS.tagValueLength) &&
  PATTERNS.tagValue.test(value);

/**
 * A copy of a record as zod makes it: every own key (a symbol one is refused), `__proto__` left
 * out; with `tags`, each key and value must follow the tag rules, and at most `LIMITS.tagCount`.
 */
function copyRecord(input: unknown, tags: boolean): Fields | typeof INVALID {
  if (!isPlainObject(input)) return INVALID;
  const copy: Fields = {};
  let count = 0;
  for (const key of Reflect.ownKeys(input)) {
    if (typeof key !== "string") return INVALID;
    if (key === "__proto__") continue;
    const value = input[key];
    if (tags && !isTag(key, value)) return INVALID;
    copy[key] = value;
    count++;
  }
  return tags && count > LIMITS.tagCount ? INVALID : copy;
}

/** A copy of the error object as `errorDataSchema` makes it. */
function copyError(input: unknown): Fields | typeof INVALID {
  if (!isObject(input)) return INVALID;
  const { message, type, stack } = input;
  if (
    !isText(message, LIMITS.errorMessageLength) ||
    !isOptionalText(type, LIMITS.nameLength) ||
    !isOptionalText(stack, LIMITS.errorStackLength)
  )
    return INVALID;
  const copy: Fields = { message };
  // As zod's object: an optional field the input lacks is left out, one it holds as undefined is kept.
  if (type !== undefined || "type" in input) copy.type = type;
  if (stack !== undefined || "stack" in input) copy.stack = stack;
  return copy;
}

/** The fields `validEvent` knows, in `eventSchema`'s order (its test holds the two together). */
export const EVENT_KEYS = [
  "id",
  "projectId",
  "sessionId",
  "eventType",
  "timestamp",
  "duration",
  "resourceName",
  "parameters",
  "response",
  "userIntent",
  "isError",
  "error",
  "identifyActorGivenId",
  "identifyActorName",
  "identifyActorData",
  "clientName",
  "clientVersion",
  "serverName",
  "serverVersion",
  "sdkLanguage",
  "sdkVersion",
  "tags",
  "properties",
  "stateless",
  "correlationId",
  "traceId",
  "spanId",
] as const;

/**
 * `eventSchema.safeParse(input).data` for an event that passes every rule of the schema, or
 * `undefined` when it may not (then validate with the schema, which says why).
 */
export function validEvent(input: unknown): Event | undefined {
  if (!isObject(input)) return undefined;
  // Each field read once, as zod reads it (own or inherited).
  const {
    id,
    projectId,
    sessionId,
    eventType,
    timestamp,
    duration,
    resourceName,
    parameters,
    response,
    userIntent,
    isError,
    error,
    identifyActorGivenId,
    identifyActorName,
    identifyActorData,
    clientName,
    clientVersion,
    serverName,
    serverVersion,
    sdkLanguage,
    sdkVersion,
    tags,
    properties,
    stateless,
    correlationId,
    traceId,
    spanId,
  } = input;
  const valid =
    isText(id, LIMITS.idLength, 1) &&
    isText(projectId, LIMITS.projectIdLength, 1) &&
    isOptionalText(sessionId, LIMITS.sessionIdLength, 1) &&
    isText(eventType, LIMITS.eventTypeLength, 1) &&
    PATTERNS.eventType.test(eventType) &&
    // parseTimestamp reads only what TIMESTAMP_SHAPE matches, and checks what the refinement checks.
    typeof timestamp === "string" &&
    parseTimestamp(timestamp) !== null &&
    isOptionalDuration(duration) &&
    isOptionalText(resourceName, LIMITS.nameLength) &&
    isOptionalText(userIntent, LIMITS.userIntentLength) &&
    isOptionalFlag(isError) &&
    isOptionalText(identifyActorGivenId, LIMITS.nameLength, 1) &&
    isOptionalText(identifyActorName, LIMITS.nameLength) &&
    isOptionalText(clientName, LIMITS.nameLength) &&
    isOptionalText(clientVersion, LIMITS.nameLength) &&
    isOptionalText(serverName, LIMITS.nameLength) &&
    isOptionalText(serverVersion, LIMITS.nameLength) &&
    isOptionalText(sdkLanguage, LIMITS.nameLength) &&
    isOptionalText(sdkVersion, LIMITS.nameLength) &&
    isOptionalFlag(stateless) &&
    isOptionalText(correlationId, LIMITS.sessionIdLength, 1) &&
    isOptionalMatch(traceId, PATTERNS.traceId) &&
    isOptionalMatch(spanId, PATTERNS.spanId) &&
    // The schema's refinements.
    (stateless === true || sessionId !== undefined) &&
    (identifyActorGivenId !== undefined ||
      (identifyActorName === undefined && identifyActorData === undefined));
  if (!valid) return undefined;
  const errorCopy = error === undefined ? undefined : copyError(error);
  const actorData = identifyActorData === undefined ? undefined : copyRecord(identifyActorData, false);
  const tagsCopy = tags === undefined ? undefined : copyRecord(tags, true);
  const propertiesCopy = properties === undefined ? undefined : copyRecord(properties, false);
  if (errorCopy === INVALID || actorData === INVALID || tagsCopy === INVALID || propertiesCopy === INVALID)
    return undefined;
  // The schema's order. As zod's object: an optional field the input lacks is left out, one it
  // holds as undefined is kept.
  const out: Fields = { id, projectId };
  if (sessionId !== undefined || "sessionId" in input) out.sessionId = sessionId;
  out.eventType = eventType;
  out.timestamp = timestamp;
  if (duration !== undefined || "duration" in input) out.duration = duration;
  if (resourceName !== undefined || "resourceName" in input) out.resourceName = resourceName;
  if (parameters !== undefined || "parameters" in input) out.parameters = parameters;
  if (response !== undefined || "response" in input) out.response = response;
  if (userIntent !== undefined || "userIntent" in input) out.userIntent = userIntent;
  if (isError !== undefined || "isError" in input) out.isError = isError;
  if (error !== undefined || "error" in input) out.error = errorCopy;
  if (identifyActorGivenId !== undefined || "identifyActorGivenId" in input)
    out.identifyActorGivenId = identifyActorGivenId;
  if (identifyActorName !== undefined || "identifyActorName" in input)
    out.identifyActorName = identifyActorName;
  if (identifyActorData !== undefined || "identifyActorData" in input) out.identifyActorData = actorData;
  if (clientName !== undefined || "clientName" in input) out.clientName = clientName;
  if (clientVersion !== undefined || "clientVersion" in input) out.clientVersion = clientVersion;
  if (serverName !== undefined || "serverName" in input) out.serverName = serverName;
  if (serverVersion !== undefined || "serverVersion" in input) out.serverVersion = serverVersion;
  if (sdkLanguage !== undefined || "sdkLanguage" in input) out.sdkLanguage = sdkLanguage;
  if (sdkVersion !== undefined || "sdkVersion" in input) out.sdkVersion = sdkVersion;
  if (tags !== undefined || "tags" in input) out.tags = tagsCopy;
  if (properties !== undefined || "properties" in input) out.properties = propertiesCopy;
  if (stateless !== undefined || "stateless" in input) out.stateless = stateless;
  if (correlationId !== undefined || "correlationId" in input) out.correlationId = correlationId;
  if (traceId !== undefined || "traceId" in input) out.traceId = traceId;
  if (spanId !== undefined || "spanId" in input) out.spanId = spanId;
  return out as Event;
}
