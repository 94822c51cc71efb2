import { EVENT_TYPES, LIMITS, MCPCAT_CUSTOM_EVENT_TYPE, MCPCAT_IDENTIFY_EVENT_TYPE } from "./constants.js";
import { tagKey, tagValue } from "./schema.js";
import { truncateText } from "./text.js";

/**
 * MCPcat field names, camelCase → snake_case. The MCPcat SDK sends events one per request and,
 * depending on its version, with camelCase keys, snake_case keys or both.
 */
const MCPCAT_FIELDS = {
  id: "id",
  projectId: "project_id",
  sessionId: "session_id",
  eventType: "event_type",
  timestamp: "timestamp",
  duration: "duration",
  resourceName: "resource_name",
  parameters: "parameters",
  response: "response",
  userIntent: "user_intent",
  isError: "is_error",
  error: "error",
  identifyActorGivenId: "identify_actor_given_id",
  identifyActorName: "identify_actor_name",
  identifyActorData: "identify_data",
  clientName: "client_name",
  clientVersion: "client_version",
  serverName: "server_name",
  serverVersion: "server_version",
  sdkLanguage: "sdk_language",
  sdkVersion: "mcpcat_version",
  tags: "tags",
  properties: "properties",
} as const;

/** Text fields MCPcat may send longer than the protocol allows (it cuts at other limits): cut here. */
const TEXT_LIMITS: Record<string, number> = {
  resourceName: LIMITS.nameLength,
  userIntent: LIMITS.userIntentLength,
  identifyActorName: LIMITS.nameLength,
  clientName: LIMITS.nameLength,
  clientVersion: LIMITS.nameLength,
  serverName: LIMITS.nameLength,
  serverVersion: LIMITS.nameLength,
  sdkLanguage: LIMITS.nameLength,
  sdkVersion: LIMITS.nameLength,
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isEmpty = (value: unknown): boolean =>
  value === "" ||
  (Array.isArray(value) ? value.length === 0 : isRecord(value) && Object.keys(value).length === 0);

/**
 * Without identify (or when it returns nothing) MCPcat sends `identifyData: {}` and no user id:
 * such an event is anonymous. An id given as a number is read as its text; name and data without an
 * id are dropped, since they describe nobody.
 */
function normalizeIdentity(event: Record<string, unknown>): void {
  const id = event.identifyActorGivenId;
  if (typeof id === "number" && Number.isFinite(id)) event.identifyActorGivenId = String(id);
  else if (id === undefined || id === "") {
    delete event.identifyActorGivenId;
    delete event.identifyActorName;
    delete event.identifyActorData;
    return;
  }
  if (typeof event.identifyActorName === "number") event.identifyActorName = String(event.identifyActorName);
  if (isEmpty(event.identifyActorData)) delete event.identifyActorData;
}

/** MCPcat's `chained_errors` (an error's causes) as `Caused by: …` sections of the stack. */
function stackWithCauses(stack: unknown, causes: unknown): string | undefined {
  const parts = typeof stack === "string" ? [stack] : [];
  if (Array.isArray(causes))
    for (const cause of causes) {
      if (!isRecord(cause)) continue;
      const text =
        typeof cause.stack === "string"
          ? cause.stack
          : [cause.type, cause.message].filter((part) => typeof part === "string").join(": ");
      if (text) parts.push(`Caused by: ${text}`);
    }
  return parts.length > 0 ? parts.join("\n") : undefined;
}

/**
 * MCPcat's error (`message`, `type`, `stack`, plus `frames`, `chained_errors`, `platform`) as the
 * protocol's: causes are appended to the stack, the other extra fields dropped, long text cut, a
 * bare string or number becomes the message. A message of another kind (an object) is left for
 * validation to report.
 */
function normalizeError(error: unknown): unknown {
  if (typeof error === "string" || typeof error === "number" || typeof error === "boolean")
    return { message: truncateText(String(error), LIMITS.errorMessageLength) };
  if (!isRecord(error)) return error;
  const { message, type } = error;
  const stack = stackWithCauses(error.stack, error.chained_errors);
  const text =
    message === undefined || message === null
      ? "Unknown error"
      : typeof message === "number" || typeof message === "boolean"
        ? String(message)
        : message;
  return {
    message: typeof text === "string" ? truncateText(text, LIMITS.errorMessageLength) : text,
    ...(typeof type === "string" ? { type: truncateText(type, LIMITS.nameLength) } : {}),
    ...(stack === undefined ? {} : { stack: truncateText(stack, LIMITS.errorStackLength) }),
  };
}

/** MCPcat drops tags that break its rules before sending; the few its rules allow and ours do not go too. */
function normalizeTags(tags: unknown): unknown {
  if (!isRecord(tags)) return isEmpty(tags) ? undefined : tags;
  const kept = Object.entries(tags)
    .filter(([key, value]) => tagKey.safeParse(key).success && tagValue.safeParse(value).success)
    .slice(0, LIMITS.tagCount);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * Converts one event in the MCPcat wire format into an mcpsight event candidate (still to be
 * validated with `validateEvent`): both key styles, MCPcat's identify and custom event types,
 * anonymous events (empty identity), MCPcat's error fields, its tags, and text MCPcat allows longer
 * than the protocol does (cut with the protocol's marker). Returns the input unchanged when it is
 * not an object, so validation reports the problem.
 */
export function fromMcpcatEvent(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const event: Record<string, unknown> = {};
  for (const [camel, snake] of Object.entries(MCPCAT_FIELDS)) {
    const value = raw[camel] ?? raw[snake] ?? (camel === "identifyActorData" ? raw.identifyData : undefined);
    if (value !== undefined && value !== null) event[camel] = value;
  }
  // `eventId` is MCPcat's older name for a caller-chosen id.
  if (event.id === undefined && (raw.eventId ?? raw.event_id) != null) event.id = raw.eventId ?? raw.event_id;
  if (event.sdkVersion === undefined && typeof raw.mcpcatVersion === "string")
    event.sdkVersion = raw.mcpcatVersion;
  if (event.eventType === MCPCAT_IDENTIFY_EVENT_TYPE) event.eventType = EVENT_TYPES.identify;
  if (event.eventType === MCPCAT_CUSTOM_EVENT_TYPE) event.eventType = EVENT_TYPES.custom;
  normalizeIdentity(event);
  if (event.error !== undefined) event.error = normalizeError(event.error);
  if (event.tags !== undefined) event.tags = normalizeTags(event.tags);
  if (event.tags === undefined) delete event.tags;
  for (const [field, max] of Object.entries(TEXT_LIMITS)) {
    const value = event[field];
    if (typeof value === "string") event[field] = truncateText(value, max);
  }
  if (event.timestamp instanceof Date) event.timestamp = event.timestamp.toISOString();
  return event;
}
