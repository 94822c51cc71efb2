import { EVENT_TYPES } from "@mcpsight/protocol";
import type { SessionState } from "../derive/types.js";
import { iso } from "../time.js";
import type {
  ErrorGroup,
  IntentItem,
  Json,
  JsonObject,
  ProjectToken,
  SessionSummary,
  StoredEvent,
  UserSummary,
} from "../types.js";

// Row shapes both backends read (same column names) and their mapping to the API types, so a
// query answers alike whichever database served it.

/** Parses a JSON text column. */
export const fromJson = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

export interface EventRow {
  pk: number;
  event_id: string;
  ts: number;
  event_type: string;
  resource_name: string | null;
  duration: number | null;
  /** INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL. */
  is_error: number | boolean;
  error: string | null;
  user_intent: string | null;
  parameters: string | null;
  response: string | null;
  actor_id: string | null;
  actor_name: string | null;
  actor_data: string | null;
  client_name: string | null;
  client_version: string | null;
  server_name: string | null;
  server_version: string | null;
  sdk_language: string | null;
  sdk_version: string | null;
  tags: string | null;
  properties: string | null;
  trace_id: string | null;
  span_id: string | null;
  /** Joined: the attributed user's public id. */
  user_id: string | null;
}

/** Columns for EventRow: events `e`, with the user `u` its link (`event_links l`) attributes it to. */
export const EVENT_COLUMNS = "e.*, u.user_id AS user_id";

export function toStoredEvent(row: EventRow, sessionStart: number): StoredEvent {
  const error = fromJson<{ message: string; type?: string; stack?: string }>(row.error);
  return {
    id: row.event_id,
    eventType: row.event_type,
    timestamp: iso(row.ts),
    offsetMs: row.ts - sessionStart,
    duration: row.duration,
    resourceName: row.resource_name,
    parameters: fromJson<Json>(row.parameters),
    response: fromJson<Json>(row.response),
    userIntent: row.user_intent,
    isError: row.is_error === 1 || row.is_error === true,
    error: error ? { message: error.message, type: error.type ?? null, stack: error.stack ?? null } : null,
    userId: row.user_id,
    identify:
      row.event_type === EVENT_TYPES.identify && row.actor_id
        ? { userId: row.actor_id, userName: row.actor_name, userData: fromJson<JsonObject>(row.actor_data) }
        : null,
    clientName: row.client_name,
    clientVersion: row.client_version,
    serverName: row.server_name,
    serverVersion: row.server_version,
    sdkLanguage: row.sdk_language,
    sdkVersion: row.sdk_version,
    tags: fromJson<Record<string, string>>(row.tags),
    properties: fromJson<JsonObject>(row.properties),
    traceId: row.trace_id,
    spanId: row.span_id,
  };
}

export interface UserRow {
  pk: number;
  user_id: string;
  user_name: string | null;
  user_data: string | null;
  first_seen: number;
  last_seen: number;
  sessions: number;
  tool_calls: number;
  errors: number;
  events: number;
}

export const toUserSummary = (row: UserRow): UserSummary => ({
  userId: row.user_id,
  userName: row.user_name,
  userData: fromJson<JsonObject>(row.user_data),
  firstSeen: iso(row.first_seen),
  lastSeen: iso(row.last_seen),
  sessions: row.sessions,
  toolCalls: row.tool_calls,
  errors: row.errors,
  events: row.events,
});

/** A row of the `sessions` table; `stateless` is INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL. */
export interface SessionTableRow<Flag extends number | boolean = number | boolean> {
  pk: number;
  session_id: string;
  user_pk: number | null;
  client_name: string | null;
  client_version: string | null;
  server_name: string | null;
  server_version: string | null;
  first_seen: number;
  last_seen: number;
  events: number;
  tool_calls: number;
  errors: number;
  stateless: Flag;
  group_key: string | null;
}

/** A session row with its user's public id, as the derivation pass loads it. */
export function toSessionState(row: SessionTableRow & { user_id: string | null }): SessionState {
  return {
    pk: row.pk,
    sessionId: row.session_id,
    groupKey: row.group_key,
    userPk: row.user_pk,
    userId: row.user_id,
    clientName: row.client_name,
    clientVersion: row.client_version,
    serverName: row.server_name,
    serverVersion: row.server_version,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    events: row.events,
    toolCalls: row.tool_calls,
    errors: row.errors,
    stateless: row.stateless === 1 || row.stateless === true,
  };
}

/** A session with its user's id and name (SESSION_COLUMNS). */
export interface SessionRow extends SessionTableRow {
  user_id: string | null;
  user_name: string | null;
}

/** Columns for SessionRow: sessions `s` left-joined with users `u`. */
export const SESSION_COLUMNS = "s.*, u.user_id AS user_id, u.user_name AS user_name";

export const toSessionSummary = (row: SessionRow): SessionSummary => ({
  sessionId: row.session_id,
  userId: row.user_id,
  userName: row.user_name,
  clientName: row.client_name,
  clientVersion: row.client_version,
  serverName: row.server_name,
  serverVersion: row.server_version,
  firstSeen: iso(row.first_seen),
  lastSeen: iso(row.last_seen),
  durationMs: row.last_seen - row.first_seen,
  events: row.events,
  toolCalls: row.tool_calls,
  errors: row.errors,
  stateless: row.stateless === 1 || row.stateless === true,
});

export interface IntentRow {
  event_id: string;
  ts: number;
  session_id: string;
  user_id: string | null;
  user_name: string | null;
  resource_name: string | null;
  user_intent: string | null;
  parameters: string | null;
}

export function toIntent(row: IntentRow): IntentItem {
  const parameters = fromJson<Json>(row.parameters);
  const missing = row.resource_name === "get_more_tools";
  const context =
    typeof parameters === "object" && parameters !== null && !Array.isArray(parameters)
      ? parameters.context
      : undefined;
  return {
    eventId: row.event_id,
    type: missing ? "missing_tool" : "intent",
    timestamp: iso(row.ts),
    sessionId: row.session_id,
    userId: row.user_id,
    userName: row.user_name,
    tool: row.resource_name,
    intent: row.user_intent ?? (typeof context === "string" ? context : null),
    parameters,
  };
}

/** Columns for IntentRow: events `e` with their links `l`, sessions `s` and users `u`. */
export const INTENT_COLUMNS =
  "e.event_id, e.ts, s.session_id, u.user_id, u.user_name, e.resource_name, e.user_intent, e.parameters";

/** An error group with its occurrences in a range (`count`), as both backends select it. */
export interface ErrorGroupRow {
  pk: number;
  tool: string;
  message: string;
  first_seen: number;
  last_seen: number;
  users: number;
  sessions: number;
  sample_event_pk: number | null;
  count: number;
}

export const toErrorGroup = (row: ErrorGroupRow, sample: ErrorGroup["sample"]): ErrorGroup => ({
  tool: row.tool,
  message: row.message,
  count: row.count,
  users: row.users,
  sessions: row.sessions,
  firstSeen: iso(row.first_seen),
  lastSeen: iso(row.last_seen),
  sample,
});

/** A project token as both backends select it (columns aliased to the API's names). */
export interface ProjectTokenRow {
  id: string;
  projectId: string;
  name: string;
  createdAt: number;
  createdBy: string | null;
}

export const toProjectToken = (row: ProjectTokenRow): ProjectToken => ({
  ...row,
  createdAt: iso(row.createdAt),
});
