import type { IndexedEvent, Rejection } from "@mcpsight/protocol";
import { AppError } from "../../errors.js";
import { type Storage, StorageUnavailableError } from "../../storage/index.js";

export interface Stored {
  accepted: number;
  duplicates: number;
  /** Events the database refused on their own. */
  notStored: Rejection[];
  /** The first error the database gave for a refused event, for the log. */
  firstError: unknown;
}

/** How long a sender should wait when the database cannot take writes. */
const UNAVAILABLE_RETRY_AFTER_S = 5;

const unavailable = (reason: string) =>
  new AppError(
    "unavailable",
    `The collector cannot store events right now (${reason}); nothing was stored. Retry later.`,
    null,
    UNAVAILABLE_RETRY_AFTER_S,
  );

/**
 * Stores events so that a failure costs only the events at fault: when a write fails, the events
 * are written again in halves, down to single events; an event that fails alone is `not_stored`.
 * When the database cannot take writes at all, or when no event of several could be stored alone
 * (the database, not the events, is at fault), nothing is acknowledged: 503, retry later. Parts
 * stored before then are found as duplicates on the retry (event ids make writes idempotent).
 */
export async function storeIsolated(
  storage: Storage,
  events: IndexedEvent[],
  droppedEvents?: number,
): Promise<Stored> {
  const stored: Stored = { accepted: 0, duplicates: 0, notStored: [], firstError: null };
  let dropped = droppedEvents;
  const write = async (part: IndexedEvent[]): Promise<void> => {
    try {
      const result = await storage.ingestEvents(
        part.map((item) => item.event),
        dropped,
      );
      dropped = undefined;
      stored.accepted += result.accepted;
      stored.duplicates += result.duplicates;
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw unavailable(error.message);
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        await write(part.slice(0, half));
        await write(part.slice(half));
        return;
      }
      stored.firstError ??= error;
      stored.notStored.push({
        index: (part[0] as IndexedEvent).index,
        code: "not_stored",
        field: "(event)",
        reason: "the database refused this event; the collector's log has the error",
      });
    }
  };
  if (events.length > 0) await write(events);
  if (events.length > 1 && stored.notStored.length === events.length)
    throw unavailable("the database refused every event of the batch");
  return stored;
}
