import type { Event } from "@mcpsight/protocol";
import type { IngestResult } from "../../types.js";
import { type Db, projectPk } from "../db.js";
import { BatchWriter } from "../ingest/index.js";

export interface Batch {
  events: Event[];
  droppedEvents: number;
}

export type Outcome = { ok: true; result: IngestResult } | { ok: false; error: unknown };

/** Writes one batch (events of any projects) inside the caller's transaction. */
export function writeBatch(db: Db, events: Event[], droppedEvents: number): IngestResult {
  const byProject = new Map<string, Event[]>();
  for (const event of events) {
    const list = byProject.get(event.projectId);
    if (list) list.push(event);
    else byProject.set(event.projectId, [event]);
  }
  const total = { accepted: 0, duplicates: 0 };
  let dropped = droppedEvents;
  for (const [projectId, projectEvents] of byProject) {
    const pk = projectPk(db, projectId);
    if (pk === undefined) throw new Error(`unknown project ${projectId}`);
    const result = new BatchWriter(db, pk, projectId).write(projectEvents, dropped);
    dropped = 0;
    total.accepted += result.accepted;
    total.duplicates += result.duplicates;
  }
  return total;
}

/**
 * Group commit: several batches in one transaction, each under its own savepoint, so a failing
 * batch leaves nothing behind while the others still commit together. One commit (and one WAL
 * sync) for the group instead of one per batch. Throws when the transaction as a whole fails
 * (then nothing was stored); a batch's outcome is final only once this returns.
 */
export function writeBatches(db: Db, batches: Batch[]): Outcome[] {
  const writeOne = db.transaction((batch: Batch) => writeBatch(db, batch.events, batch.droppedEvents));
  const group = db.transaction(() =>
    batches.map((batch): Outcome => {
      try {
        return { ok: true, result: writeOne(batch) };
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction, taking the
        // batches before this one with it: then the group fails as a whole.
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  // IMMEDIATE: take the write lock up front, so reads early in a batch never meet a commit made
  // by the other connection in between (which SQLite could only answer with SQLITE_BUSY).
  return group.immediate();
}
