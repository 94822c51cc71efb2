import type { Event } from "@mcpsight/protocol";
import type { ChunkEvent } from "../../derive/pass.js";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { type Db, projectPk, run, stmt } from "../db.js";
import { appendedEvent } from "./recent.js";

const WIDTH = EVENT_FIELDS.length + 1;
/** Rows per statement: well under SQLite's 32,766 parameters. */
const ROWS = 100;
const row = `(${Array.from({ length: WIDTH }, () => "?").join(", ")})`;
/** The INSERT for `n` rows (`n` ≤ ROWS), prepared once per connection by `stmt`. */
const insertOf = (n: number) =>
  `INSERT INTO events (project_pk, ${EVENT_FIELDS.join(", ")}) VALUES ${Array.from({ length: n }, () => row).join(", ")}
   ON CONFLICT (project_pk, event_id) DO NOTHING`;

const flag = (value: boolean) => (value ? 1 : 0);

/**
 * Appends one batch's events inside the caller's transaction: the events only, nothing derived
 * (the pass does that), up to 100 rows per statement. An id already stored in its project is
 * counted as a duplicate (`ON CONFLICT` on the id only: `INSERT OR IGNORE` would also skip a row
 * that breaks another constraint and count it as a duplicate). With `appended`, the rows of every
 * statement that stored all of its rows are pushed there as the pass reads them (keys follow the
 * VALUES order: one connection holds the write lock); a statement that skipped a duplicate is left
 * for the pass to read back.
 */
export function appendEvents(
  db: Db,
  events: Event[],
  droppedEvents: number,
  appended?: ChunkEvent[],
): IngestResult {
  const receivedAt = Date.now();
  const keys = new Map<string, number>();
  const values: unknown[] = [];
  for (const event of events) {
    let pk = keys.get(event.projectId);
    if (pk === undefined) {
      pk = projectPk(db, event.projectId);
      if (pk === undefined) throw new Error(`unknown project ${event.projectId}`);
      keys.set(event.projectId, pk);
    }
    values.push(pk, ...eventValues(event, receivedAt, flag));
  }
  let accepted = 0;
  for (let start = 0; start < values.length; start += ROWS * WIDTH) {
    const chunk = values.slice(start, start + ROWS * WIDTH);
    const rows = chunk.length / WIDTH;
    const { changes, lastInsertRowid } = stmt(db, insertOf(rows)).run(...chunk);
    accepted += changes;
    if (appended && changes === rows) {
      const first = Number(lastInsertRowid) - rows + 1;
      for (let i = 0; i < rows; i++) {
        const event = events[start / WIDTH + i] as Event;
        appended.push(appendedEvent(first + i, event.projectId, chunk, i * WIDTH));
      }
    }
  }
  const duplicates = events.length - accepted;
  // Counters only the SDK's reports move; the project row is left alone in the common case.
  const first = keys.values().next().value;
  if ((droppedEvents > 0 || duplicates > 0) && first !== undefined)
    run(
      db,
      "UPDATE projects SET dropped_events = dropped_events + ?, duplicate_events = duplicate_events + ? WHERE pk = ?",
      droppedEvents,
      duplicates,
      first,
    );
  return { accepted, duplicates };
}
