import type { Event } from "@mcpsight/protocol";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { get, type Sql } from "../db.js";

/** Each field's SQL type. */
const TYPES: Record<(typeof EVENT_FIELDS)[number], string> = {
  event_id: "text",
  ts: "bigint",
  received_at: "bigint",
  event_type: "text",
  resource_name: "text",
  duration: "float8",
  is_error: "bool",
  error: "text",
  user_intent: "text",
  parameters: "text",
  response: "text",
  session_key: "text",
  stateless: "bool",
  correlation_id: "text",
  actor_id: "text",
  actor_name: "text",
  actor_data: "text",
  client_name: "text",
  client_version: "text",
  server_name: "text",
  server_version: "text",
  sdk_language: "text",
  sdk_version: "text",
  tags: "text",
  properties: "text",
  trace_id: "text",
  span_id: "text",
};
/** Each row's project key follows its `EVENT_FIELDS` values. */
const PROJECT = EVENT_FIELDS.length;

/**
 * One statement, committed on its own: the batch's rows travel as one JSON parameter, each row
 * an array of its values in `EVENT_FIELDS` order then its project's key (native
 * `JSON.stringify` of plain arrays, the cheapest form to build; each JSON column as its text, so
 * PostgreSQL only unescapes it and stores it verbatim), an id already stored in its project is
 * skipped, and the project's drop/duplicate counters move only when there is something to count
 * (the project row is the one every batch would otherwise lock).
 */
const APPEND = `
  WITH inserted AS (
    INSERT INTO events (project_pk, ${EVENT_FIELDS.join(", ")})
    SELECT (r->>${PROJECT})::bigint, ${EVENT_FIELDS.map((field, i) => `(r->>${i})::${TYPES[field]}`).join(", ")}
    FROM jsonb_array_elements($1::jsonb) AS r
    ON CONFLICT (project_pk, event_id) DO NOTHING RETURNING 1
  ), counted AS (SELECT count(*)::int AS accepted FROM inserted), counters AS (
    UPDATE projects SET dropped_events = dropped_events + $2, duplicate_events = duplicate_events + ($3 - c.accepted)
    FROM counted c WHERE pk = $4 AND ($2 > 0 OR c.accepted < $3) RETURNING 1
  )
  SELECT accepted FROM counted`;

/**
 * Appends a batch's events (every project must exist: `projectPks`): events only, no locks, no
 * reads of derived tables — the derivation pass does the rest. Duplicates are the events whose
 * id was already stored (a retried batch).
 */
export async function appendEvents(
  db: Sql,
  events: Event[],
  projectPks: Map<string, number>,
  droppedEvents: number,
): Promise<IngestResult> {
  const receivedAt = Date.now();
  const rows = events.map((e) => {
    const row = eventValues(e, receivedAt, (flag) => flag);
    row.push(projectPks.get(e.projectId));
    return row;
  });
  const first = projectPks.get((events[0] as Event).projectId);
  const { accepted } = (await get<{ accepted: number }>(db, APPEND, [
    JSON.stringify(rows),
    droppedEvents,
    events.length,
    first,
  ])) as { accepted: number };
  return { accepted, duplicates: events.length - accepted };
}
