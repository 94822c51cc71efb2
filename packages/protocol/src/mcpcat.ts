import { EVENT_TYPES, MCPCAT_IDENTIFY_EVENT_TYPE } from "./constants.js";

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

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Converts one event in the MCPcat wire format into an mcpsight event candidate (still to be
 * validated with `validateEvent`). MCPcat's identify event type and extra error fields (frames,
 * chained errors) are mapped onto mcpsight's. Returns the input unchanged when it is not an object,
 * so validation reports the problem.
 */
export function fromMcpcatEvent(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const event: Record<string, unknown> = {};
  for (const [camel, snake] of Object.entries(MCPCAT_FIELDS)) {
    const value = raw[camel] ?? raw[snake] ?? (camel === "identifyActorData" ? raw.identifyData : undefined);
    if (value !== undefined && value !== null) event[camel] = value;
  }
  if (event.sdkVersion === undefined && typeof raw.mcpcatVersion === "string")
    event.sdkVersion = raw.mcpcatVersion;
  if (event.eventType === MCPCAT_IDENTIFY_EVENT_TYPE) event.eventType = EVENT_TYPES.identify;
  if (isRecord(event.error)) {
    const { message, type, stack } = event.error;
    event.error = {
      message: typeof message === "string" ? message : String(message ?? "Unknown error"),
      ...(typeof type === "string" ? { type } : {}),
      ...(typeof stack === "string" ? { stack } : {}),
    };
  }
  if (event.timestamp instanceof Date) event.timestamp = event.timestamp.toISOString();
  return event;
}
