import { type Event, parseTimestamp } from "@mcpsight/protocol";
import type pg from "pg";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { copyField, copyIn, copyJson, copyText, unpipelined } from "../copy.js";
import { get, run, type Sql } from "../db.js";

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
 * The fallback append, one statement: the batch's rows travel as one JSON parameter, each row
 * an array of its values in `EVENT_FIELDS` order then its project's key (native
 * `JSON.stringify` of plain arrays, the cheapest form to build; each JSON column as its text, so
 * PostgreSQL only unescapes it and stores it verbatim), an id already stored in its project is
 * skipped, and the project's drop/duplicate counters move only when there is something to count
 * (the project row is the one every batch would otherwise lock).
 */
const INSERT = `
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

/** Events as the COPY below reads them: their project's key, then their `EVENT_FIELDS` values. */
const COPY = `COPY events (project_pk, ${EVENT_FIELDS.join(", ")}) FROM STDIN`;

/** A batch's drop count, moved in the transaction of its COPY. */
const COUNT_DROPPED = "UPDATE projects SET dropped_events = dropped_events + $1 WHERE pk = $2";

const UNIQUE_VIOLATION = "23505";

const NULL = "\\N";
const text = (value: string | undefined) => (value === undefined ? NULL : copyText(value));
const json = (value: unknown) => (value === undefined ? NULL : copyJson(JSON.stringify(value)));
const flag = (value: boolean) => (value ? "t" : "f");

/**
 * An event's COPY line: its project's key then the values `pushEventValues` gives, in
 * `EVENT_FIELDS` order, each written as `copyField` writes it. Written field by field rather than
 * through an array of values: this runs for every event stored, and JSON text only needs its
 * backslashes escaped (append.test.ts holds the two ways together). `received` is the receive
 * time between tabs.
 */
const copyRow = (e: Event, projectPk: number | undefined, received: string): string =>
  `${projectPk}\t${text(e.id)}\t${copyField(parseTimestamp(e.timestamp))}${received}` +
  `${text(e.eventType)}\t${text(e.resourceName)}\t${copyField(e.duration)}\t` +
  `${flag(e.isError === true || e.error !== undefined)}\t` +
  `${json(e.error)}\t${text(e.userIntent)}\t${json(e.parameters)}\t${json(e.response)}\t` +
  `${text(e.sessionId)}\t${flag(e.stateless === true)}\t${text(e.correlationId)}\t` +
  `${text(e.identifyActorGivenId)}\t${text(e.identifyActorName)}\t${json(e.identifyActorData)}\t` +
  `${text(e.clientName)}\t${text(e.clientVersion)}\t${text(e.serverName)}\t${text(e.serverVersion)}\t` +
  `${text(e.sdkLanguage)}\t${text(e.sdkVersion)}\t${json(e.tags)}\t${json(e.properties)}\t` +
  `${text(e.traceId)}\t${text(e.spanId)}\n`;

/** Room for a typical event's line; a batch of bigger ones grows its buffer. */
const ROW_BYTES = 1024;

/**
 * The batch as COPY text in UTF-8, one line per event, each line written into the buffer as it is
 * made: no string of the whole batch to join and then encode again.
 */
export function copyRows(events: Event[], projectPks: Map<string, number>, receivedAt: number): Buffer {
  const received = `\t${receivedAt}\t`;
  let rows = Buffer.allocUnsafe(events.length * ROW_BYTES);
  let size = 0;
  for (const e of events) {
    const line = copyRow(e, projectPks.get(e.projectId), received);
    const most = line.length * 3; // a UTF-16 unit takes at most 3 bytes of UTF-8
    if (rows.length - size < most) {
      const bigger = Buffer.allocUnsafe(2 * rows.length + most);
      rows.copy(bigger, 0, 0, size);
      rows = bigger;
    }
    size += rows.write(line, size);
  }
  return rows.subarray(0, size);
}

/**
 * Appends a batch's events (every project must exist: `projectPks`): events only, no locks, no
 * reads of derived tables — the derivation pass does the rest. Duplicates are the events whose
 * id was already stored (a retried batch). A batch of new ids, the usual one, is one COPY
 * (`copyEvents`); one holding an id already stored, or twice, is appended by `insertEvents`.
 */
export async function appendEvents(
  pool: pg.Pool,
  events: Event[],
  projectPks: Map<string, number>,
  droppedEvents: number,
): Promise<IngestResult> {
  const receivedAt = Date.now();
  return (
    (await copyEvents(pool, events, projectPks, droppedEvents, receivedAt)) ??
    insertEvents(pool, events, projectPks, droppedEvents, receivedAt)
  );
}

/**
 * Appends a batch with one COPY, committed on its own or, when the batch reports events the
 * sender dropped, in one transaction with its project's counter. COPY cannot skip a conflict: a
 * batch holding an id already stored (or twice) fails as a whole, and this resolves to null,
 * having stored and counted nothing. Other errors are thrown.
 */
export async function copyEvents(
  pool: pg.Pool,
  events: Event[],
  projectPks: Map<string, number>,
  droppedEvents: number,
  receivedAt = Date.now(),
): Promise<IngestResult | null> {
  const rows = copyRows(events, projectPks, receivedAt);
  const first = projectPks.get((events[0] as Event).projectId) as number;
  const counted = droppedEvents > 0;
  return unpipelined(pool, async (client, broken) => {
    try {
      if (counted) await client.query("BEGIN");
      await copyIn(client, COPY, rows);
      if (counted) {
        await run(client, COUNT_DROPPED, [droppedEvents, first]);
        await client.query("COMMIT");
      }
      return { accepted: events.length, duplicates: 0 };
    } catch (error) {
      // Back in order before anything else: out of the failed transaction, or past the
      // server's answer to the failed COPY.
      try {
        await client.query(counted ? "ROLLBACK" : "SELECT 1");
      } catch (syncError) {
        broken(syncError as Error);
        throw error;
      }
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
  });
}

/**
 * Appends a batch with one INSERT, committed on its own, that skips the ids already stored and
 * moves the project's drop and duplicate counters: what `appendEvents` falls back to.
 */
export async function insertEvents(
  db: Sql,
  events: Event[],
  projectPks: Map<string, number>,
  droppedEvents: number,
  receivedAt = Date.now(),
): Promise<IngestResult> {
  const rows = events.map((e) => {
    const row = eventValues(e, receivedAt, (flag) => flag);
    row.push(projectPks.get(e.projectId));
    return row;
  });
  const first = projectPks.get((events[0] as Event).projectId);
  const { accepted } = (await get<{ accepted: number }>(db, INSERT, [
    JSON.stringify(rows),
    droppedEvents,
    events.length,
    first,
  ])) as { accepted: number };
  return { accepted, duplicates: events.length - accepted };
}
