import type { ChunkEvent } from "../../derive/pass.js";
import { type DeriveRow, EVENT_FIELDS, toChunkEvent } from "../../shared/derive-event.js";
import { type Db, get } from "../db.js";

/** At most this many appended events wait for the pass here; beyond, it reads them back. */
const MAX_EVENTS = 50_000;

/** Each column's place in a row of `EVENT_FIELDS` values. */
const AT = Object.fromEntries(EVENT_FIELDS.map((name, index) => [name, index])) as Record<
  (typeof EVENT_FIELDS)[number],
  number
>;

/**
 * An appended row as the pass would read it back: `values` holds the row as bound to the append
 * statement (`EVENT_FIELDS`, then `project_pk`) from `offset`, `pk` is the key SQLite gave it.
 * The pass reads an event's error and response only for errors (`DERIVE_COLUMNS`). Built as one
 * literal (the writer thread makes one per appended event).
 */
export function appendedEvent(pk: number, projectId: string, values: unknown[], offset: number): ChunkEvent {
  const isError = values[offset + AT.is_error];
  const row = {
    pk,
    project_pk: values[offset + EVENT_FIELDS.length],
    event_id: values[offset + AT.event_id],
    ts: values[offset + AT.ts],
    received_at: values[offset + AT.received_at],
    event_type: values[offset + AT.event_type],
    resource_name: values[offset + AT.resource_name],
    duration: values[offset + AT.duration],
    is_error: isError,
    error: isError ? values[offset + AT.error] : null,
    response: isError ? values[offset + AT.response] : null,
    session_key: values[offset + AT.session_key],
    stateless: values[offset + AT.stateless],
    correlation_id: values[offset + AT.correlation_id],
    actor_id: values[offset + AT.actor_id],
    actor_name: values[offset + AT.actor_name],
    actor_data: values[offset + AT.actor_data],
    client_name: values[offset + AT.client_name],
    client_version: values[offset + AT.client_version],
    server_name: values[offset + AT.server_name],
    server_version: values[offset + AT.server_version],
  };
  return toChunkEvent(row as DeriveRow, projectId);
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
