import { type Event, parseTimestamp } from "@mcpsight/protocol";
import type { ChunkEvent } from "../derive/pass.js";
import type { DeriveEvent, LinkedEvent } from "../derive/types.js";
import type { JsonObject } from "../types.js";
import { errorKeyOf } from "./error-key.js";
import { fromJson } from "./rows.js";

/**
 * The events table's columns as both backends store them, in the order the append statements
 * bind them. Nothing here is derived: sessions, users and every aggregate come from the pass.
 */
export const EVENT_FIELDS = [
  "event_id",
  "ts",
  "received_at",
  "event_type",
  "resource_name",
  "duration",
  "is_error",
  "error",
  "user_intent",
  "parameters",
  "response",
  "session_key",
  "stateless",
  "correlation_id",
  "actor_id",
  "actor_name",
  "actor_data",
  "client_name",
  "client_version",
  "server_name",
  "server_version",
  "sdk_language",
  "sdk_version",
  "tags",
  "properties",
  "trace_id",
  "span_id",
] as const;

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * Appends an event's column values to `target`, in `EVENT_FIELDS` order; booleans as `flag` gives
 * them (0/1 or true/false). One call per event: the SQLite append flattens a whole batch this way.
 */
export function pushEventValues<F>(
  target: unknown[],
  e: Event,
  receivedAt: number,
  flag: (value: boolean) => F,
): void {
  const isError = e.isError === true || e.error !== undefined;
  target.push(
    e.id,
    parseTimestamp(e.timestamp),
    receivedAt,
    e.eventType,
    e.resourceName ?? null,
    e.duration ?? null,
    flag(isError),
    json(e.error),
    e.userIntent ?? null,
    json(e.parameters),
    json(e.response),
    e.sessionId ?? null,
    flag(e.stateless === true),
    e.correlationId ?? null,
    e.identifyActorGivenId ?? null,
    e.identifyActorName ?? null,
    json(e.identifyActorData),
    e.clientName ?? null,
    e.clientVersion ?? null,
    e.serverName ?? null,
    e.serverVersion ?? null,
    e.sdkLanguage ?? null,
    e.sdkVersion ?? null,
    json(e.tags),
    json(e.properties),
    e.traceId ?? null,
    e.spanId ?? null,
  );
}

/** An event's column values in `EVENT_FIELDS` order; booleans as `flag` gives them (0/1 or true/false). */
export function eventValues<F>(e: Event, receivedAt: number, flag: (value: boolean) => F): unknown[] {
  const values: unknown[] = [];
  pushEventValues(values, e, receivedAt, flag);
  return values;
}

/** A stored event as the pass reads it (`DERIVE_COLUMNS`). */
export interface DeriveRow {
  pk: number;
  project_pk: number;
  event_id: string;
  ts: number;
  received_at: number;
  event_type: string;
  resource_name: string | null;
  duration: number | null;
  is_error: number | boolean;
  /** Read for errors only (the error key needs them). */
  error: string | null;
  response: string | null;
  session_key: string | null;
  stateless: number | boolean;
  correlation_id: string | null;
  actor_id: string | null;
  actor_name: string | null;
  actor_data: string | null;
  client_name: string | null;
  client_version: string | null;
  server_name: string | null;
  server_version: string | null;
}

/** Columns of `DeriveRow` from events `e`; the payloads only of errors, whose key needs them. */
export const DERIVE_COLUMNS = `e.pk, e.project_pk, e.event_id, e.ts, e.received_at, e.event_type, e.resource_name,
  e.duration, e.is_error, CASE WHEN e.is_error THEN e.error END AS error,
  CASE WHEN e.is_error THEN e.response END AS response, e.session_key, e.stateless, e.correlation_id,
  e.actor_id, e.actor_name, e.actor_data, e.client_name, e.client_version, e.server_name, e.server_version`;

const truthy = (v: number | boolean) => v === true || v === 1;

/**
 * Identity data parsed once per text within one read: `cache` holds what it parsed by text. Events
 * of one user mostly repeat it, and it is only read (merged into profiles by reference), so they
 * share one object rather than parse one each.
 */
export function parsedOnce(cache: Map<string, JsonObject | null>, text: string): JsonObject | null {
  const known = cache.get(text);
  if (known !== undefined) return known;
  const data = fromJson<JsonObject>(text);
  cache.set(text, data);
  return data;
}

/**
 * `row` as the engine takes it. `actorData`, when given, holds the identity data already parsed
 * in this read by their text: events of one user mostly repeat it, and it is only read (merged
 * into profiles by reference), so they share one object rather than parse one each.
 */
export function toDeriveEvent(row: DeriveRow, actorData?: Map<string, JsonObject | null>): DeriveEvent {
  const isError = truthy(row.is_error);
  const text = row.actor_data;
  const data =
    text === null ? null : actorData === undefined ? fromJson<JsonObject>(text) : parsedOnce(actorData, text);
  return {
    pk: row.pk,
    id: row.event_id,
    ts: row.ts,
    type: row.event_type,
    tool: row.resource_name,
    duration: row.duration,
    isError,
    errorKey: isError
      ? errorKeyOf(row.resource_name, row.event_type, fromJson(row.error), fromJson(row.response))
      : null,
    sessionId: row.session_key,
    stateless: truthy(row.stateless),
    correlationId: row.correlation_id,
    actorId: row.actor_id,
    actorName: row.actor_name,
    actorData: data,
    clientName: row.client_name,
    clientVersion: row.client_version,
    serverName: row.server_name,
    serverVersion: row.server_version,
  };
}

/** A stored event as the pass reads it after the cursor, with its project and acknowledgement. */
export function toChunkEvent(
  row: DeriveRow,
  projectId: string,
  actorData?: Map<string, JsonObject | null>,
): ChunkEvent {
  // Set on the object `toDeriveEvent` made rather than spread into a new one: one per event.
  const event = toDeriveEvent(row, actorData) as ChunkEvent;
  event.projectPk = row.project_pk;
  event.projectId = projectId;
  event.receivedAt = row.received_at;
  return event;
}

/** An event linked to a user, with its session's client (what a user's recomputation reads). */
export type UserEventRow = DeriveRow & {
  session_pk: number;
  user_pk: number;
  s_client_name: string | null;
  s_client_version: string | null;
};

/** Columns and joins of `UserEventRow` (a WHERE on `l.user_pk` follows). */
export const USER_EVENT_FROM = `SELECT ${DERIVE_COLUMNS}, l.session_pk, l.user_pk, s.client_name AS s_client_name,
  s.client_version AS s_client_version
  FROM event_links l JOIN events e ON e.pk = l.event_pk JOIN sessions s ON s.pk = l.session_pk`;

export const toUserEvent = (
  row: UserEventRow,
): LinkedEvent & { sessionClientName: string | null; sessionClientVersion: string | null } =>
  // Set on the object `toDeriveEvent` made rather than spread into a new one: one per event.
  Object.assign(toDeriveEvent(row), {
    sessionPk: row.session_pk,
    userPk: row.user_pk,
    sessionClientName: row.s_client_name,
    sessionClientVersion: row.s_client_version,
  });
