import type { ChunkEvent } from "../../derive/pass.js";
import { type DeriveRow, EVENT_FIELDS, toChunkEvent } from "../../shared/derive-event.js";
import { type Db, get } from "../db.js";

/** At most this many appended events wait for the pass here; beyond, it reads them back. */
const MAX_EVENTS = 50_000;

const column = (name: (typeof EVENT_FIELDS)[number]) => EVENT_FIELDS.indexOf(name);
const at = {
  event_id: column("event_id"),
  ts: column("ts"),
  received_at: column("received_at"),
  event_type: column("event_type"),
  resource_name: column("resource_name"),
  duration: column("duration"),
  is_error: column("is_error"),
  error: column("error"),
  response: column("response"),
  session_key: column("session_key"),
  stateless: column("stateless"),
  correlation_id: column("correlation_id"),
  actor_id: column("actor_id"),
  actor_name: column("actor_name"),
  actor_data: column("actor_data"),
  client_name: column("client_name"),
  client_version: column("client_version"),
  server_name: column("server_name"),
  server_version: column("server_version"),
};

/**
 * An appended row as the pass would read it back: `values` holds the row as bound to the append
 * statement (`EVENT_FIELDS`, then `project_pk`) from `offset`, `pk` is the key SQLite gave it.
 */
export function appendedEvent(pk: number, projectId: string, values: unknown[], offset: number): ChunkEvent {
  const isError = values[offset + at.is_error] as number;
  const row = {
    pk,
    project_pk: values[offset + EVENT_FIELDS.length],
    event_id: values[offset + at.event_id],
    ts: values[offset + at.ts],
    received_at: values[offset + at.received_at],
    event_type: values[offset + at.event_type],
    resource_name: values[offset + at.resource_name],
    duration: values[offset + at.duration],
    is_error: isError,
    error: isError ? values[offset + at.error] : null,
    response: isError ? values[offset + at.response] : null,
    session_key: values[offset + at.session_key],
    stateless: values[offset + at.stateless],
    correlation_id: values[offset + at.correlation_id],
    actor_id: values[offset + at.actor_id],
    actor_name: values[offset + at.actor_name],
    actor_data: values[offset + at.actor_data],
    client_name: values[offset + at.client_name],
    client_version: values[offset + at.client_version],
    server_name: values[offset + at.server_name],
    server_version: values[offset + at.server_version],
  } as DeriveRow;
  return toChunkEvent(row, projectId);
}

/**
 * Events this connection appended and committed, kept for the pass so that it need not read
 * them back: the writer thread appends and derives on one connection, and a chunk read back is
 * about a quarter of the pass's time. Only an unbroken run of keys right after the cursor is
 * served, and only while every one of them is still stored (retention or erasure on another
 * connection may have deleted some): anything else is read from the table as before. Stored
 * events never change, so a key that is still there holds what was appended.
 */
export class RecentEvents {
  private readonly byPk = new Map<number, ChunkEvent>();

  /** Events of a committed transaction, in key order. */
  add(events: readonly ChunkEvent[]): void {
    if (this.byPk.size + events.length > MAX_EVENTS) return;
    for (const e of events) this.byPk.set(e.pk, e);
  }

  /** Up to `limit` events right after `cursor`, or null when they must be read from the table. */
  take(db: Db, cursor: number, limit: number): ChunkEvent[] | null {
    this.forget(cursor);
    const events: ChunkEvent[] = [];
    for (let pk = cursor + 1; events.length < limit; pk++) {
      const e = this.byPk.get(pk);
      if (!e) break;
      events.push(e);
    }
    if (events.length === 0) return null;
    const last = (events.at(-1) as ChunkEvent).pk;
    const stored = get<{ n: number }>(
      db,
      "SELECT count(*) AS n FROM events WHERE pk > ? AND pk <= ?",
      cursor,
      last,
    );
    if (stored?.n !== events.length) {
      this.byPk.clear();
      return null;
    }
    return events;
  }

  /** Drops the events at or before `cursor` (derived). Keys arrive in order, so they come first. */
  private forget(cursor: number): void {
    for (const pk of this.byPk.keys()) {
      if (pk > cursor) return;
      this.byPk.delete(pk);
    }
  }
}
