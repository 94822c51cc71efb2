import type { ChunkEvent } from "../../derive/pass.js";
import type { IngestResult } from "../../types.js";
import type { Db } from "../db.js";
import { appendEvents, type PreparedRows } from "../events/append.js";

export interface Batch {
  rows: PreparedRows;
  droppedEvents: number;
}

/** A stored batch's result, and its rows as the pass reads them (see `RecentEvents`). */
export type Outcome =
  | { ok: true; result: IngestResult; appended: ChunkEvent[] }
  | { ok: false; error: unknown };

/** Writes one batch (events of any projects) inside the caller's transaction. */
export const writeBatch = (
  db: Db,
  rows: PreparedRows,
  droppedEvents: number,
  appended?: ChunkEvent[],
): IngestResult => appendEvents(db, rows, droppedEvents, appended);

/**
 * Group commit: several batches in one transaction, each under its own savepoint, so a failing
 * batch leaves nothing behind while the others still commit together. One commit (and one WAL
 * sync) for the group instead of one per batch. Throws when the transaction as a whole fails
 * (then nothing was stored); a batch's outcome is final only once this returns.
 */
export function writeBatches(db: Db, batches: Batch[]): Outcome[] {
  const writeOne = db.transaction((batch: Batch, appended: ChunkEvent[]) =>
    writeBatch(db, batch.rows, batch.droppedEvents, appended),
  );
  const group = db.transaction(() =>
    batches.map((batch): Outcome => {
      try {
        const appended: ChunkEvent[] = [];
        return { ok: true, result: writeOne(batch, appended), appended };
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction, taking the
        // batches before this one with it: then the group fails as a whole.
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  // IMMEDIATE: take the write lock up front, so a commit by another connection in between never
  // turns a write into SQLITE_BUSY.
  return group.immediate();
}
