import type { Event } from "@mcpsight/protocol";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import type { IngestResult } from "../../types.js";
import { type Db, projectPk, run } from "../db.js";

const INSERT_EVENT = `INSERT INTO events (project_pk, ${EVENT_FIELDS.join(", ")})
  VALUES (?, ${EVENT_FIELDS.map(() => "?").join(", ")}) ON CONFLICT (project_pk, event_id) DO NOTHING`;

const flag = (value: boolean) => (value ? 1 : 0);

/**
 * Appends one batch's events inside the caller's transaction: the events only, nothing derived
 * (the pass does that). An id already stored in its project is counted as a duplicate.
 */
export function appendEvents(db: Db, events: Event[], droppedEvents: number): IngestResult {
  const receivedAt = Date.now();
  const keys = new Map<string, number>();
  let accepted = 0;
  let duplicates = 0;
  for (const event of events) {
    let pk = keys.get(event.projectId);
    if (pk === undefined) {
      pk = projectPk(db, event.projectId);
      if (pk === undefined) throw new Error(`unknown project ${event.projectId}`);
      keys.set(event.projectId, pk);
    }
    if (run(db, INSERT_EVENT, pk, ...eventValues(event, receivedAt, flag)).changes === 1) accepted++;
    else duplicates++;
  }
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
