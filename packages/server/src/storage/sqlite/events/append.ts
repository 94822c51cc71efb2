import type { Event } from "@mcpsight/protocol";
import type { ChunkEvent } from "../../derive/pass.js";
import { EVENT_FIELDS, pushEventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { type Db, insertSql, projectPk, run, stmt } from "../db.js";
import { appendedEvent } from "./recent.js";

/** Values per row: `EVENT_FIELDS`, then the project's key. */
const ROW_WIDTH = EVENT_FIELDS.length + 1;
/** Rows per statement: well under SQLite's 32,766 parameters. */
const ROWS = 100;
const INSERT_HEAD = `INSERT INTO events (${EVENT_FIELDS.join(", ")}, project_pk) VALUES`;
const INSERT_TAIL = "ON CONFLICT (project_pk, event_id) DO NOTHING";

const flag = (value: boolean) => (value ? 1 : 0);

/**
 * A batch as the append statement binds it: per event its `EVENT_FIELDS` values and a slot for
 * the project's key, filled in by `appendEvents`. Prepared where the batch was validated, so the
 * writer thread receives flat strings and numbers (cheap to pass between threads) and only binds them.
 */
export interface PreparedRows {
  projectIds: string[];
  values: unknown[];
}

/** `events` as rows, acknowledged (`received_at`) at `receivedAt`. */
export function prepareRows(events: readonly Event[], receivedAt = Date.now()): PreparedRows {
  const values: unknown[] = [];
  for (const event of events) {
    pushEventValues(values, event, receivedAt, flag);
    values.push(null);
  }
  return { projectIds: events.map((e) => e.projectId), values };
}

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
  rows: PreparedRows,
  droppedEvents: number,
  appended?: ChunkEvent[],
): IngestResult {
  const { projectIds, values } = rows;
  const keys = new Map<string, number>();
  for (let i = 0; i < projectIds.length; i++) {
    const id = projectIds[i] as string;
    let pk = keys.get(id);
    if (pk === undefined) {
      pk = projectPk(db, id);
      if (pk === undefined) throw new Error(`unknown project ${id}`);
      keys.set(id, pk);
    }
    values[i * ROW_WIDTH + ROW_WIDTH - 1] = pk;
  }
  let accepted = 0;
  for (let start = 0; start < values.length; start += ROWS * ROW_WIDTH) {
    const chunk = values.slice(start, start + ROWS * ROW_WIDTH);
    const count = chunk.length / ROW_WIDTH;
    const { changes, lastInsertRowid } = stmt(db, insertSql(INSERT_HEAD, ROW_WIDTH, count, INSERT_TAIL)).run(
      chunk,
    );
    accepted += changes;
    if (appended && changes === count) {
      const first = Number(lastInsertRowid) - count + 1;
      for (let i = 0; i < count; i++)
        appended.push(
          appendedEvent(first + i, projectIds[start / ROW_WIDTH + i] as string, chunk, i * ROW_WIDTH),
        );
    }
  }
  const duplicates = projectIds.length - accepted;
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
