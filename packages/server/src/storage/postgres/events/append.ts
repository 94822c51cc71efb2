import type { Event } from "@mcpsight/protocol";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { get, type Sql } from "../db.js";

/** Each field's SQL type, in `EVENT_FIELDS` order (the record's keys are `f0`, `f1`, …). */
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
const KEYS = EVENT_FIELDS.map((_, i) => `f${i}`);

/**
 * One statement, committed on its own: the batch's rows travel as one JSON parameter (native
 * `JSON.stringify`; each JSON column as its text, so PostgreSQL only unescapes it and stores it
 * verbatim), an id already stored in its project is skipped, and the project's drop/duplicate
 * counters move only when there is something to count (the project row is the one every batch
 * would otherwise lock).
 */
const APPEND = `
  WITH inserted AS (
    INSERT INTO events (project_pk, ${EVENT_FIELDS.join(", ")})
    SELECT p, ${KEYS.join(", ")} FROM json_to_recordset($1::json)
      AS x(p bigint, ${KEYS.map((key, i) => `${key} ${TYPES[EVENT_FIELDS[i] as keyof typeof TYPES]}`).join(", ")})
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
    const row: Record<string, unknown> = { p: projectPks.get(e.projectId) };
    eventValues(e, receivedAt, (flag) => flag).forEach((value, i) => {
      row[KEYS[i] as string] = value;
    });
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
