import { EVENT_TYPES } from "@mcpsight/protocol";
import type { ErrorKey } from "../derive/types.js";
import { bucketOf } from "../histogram.js";
import { floorTo, HOUR_MS } from "../time.js";
import { errorKeyOf } from "./error-key.js";
import { BaseRollupDeltas, rollupKeyOf } from "./rollup-deltas.js";
import { fromJson, type SessionTableRow } from "./rows.js";

/** A derived event an erasure deletes, as both backends read it (event joined with its link). */
export interface ErasedEventRow {
  pk: number;
  session_pk: number;
  user_pk: number | null;
  ts: number;
  event_type: string;
  resource_name: string | null;
  duration: number | null;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  is_error: number | boolean;
  error: string | null;
  response: string | null;
}

/** Columns of `ErasedEventRow`: event_links `l` joined with events `e`. */
export const ERASED_EVENT_COLUMNS = `e.pk, l.session_pk, l.user_pk, l.ts, e.event_type, e.resource_name, e.duration,
  e.is_error, e.error, e.response FROM event_links l JOIN events e ON e.pk = l.event_pk`;

/**
 * What erasing these events and sessions takes out of the aggregates: negative rollup deltas
 * (tool hours with their histograms, the sessions' hours and clients), the error occurrences per
 * group and hour, the (tool, hour) sketches to rebuild, and the other users who had events among
 * them (to recompute).
 */
export function erasedShare(
  events: Iterable<ErasedEventRow>,
  sessions: SessionTableRow[],
  erasedUserPk: number | null,
) {
  const rollups = new BaseRollupDeltas();
  const errors = new Map<string, { key: ErrorKey; hours: Map<number, number> }>();
  const sketchHours = new Map<string, { tool: string; hour: number }>();
  const others = new Set<number>();
  for (const e of events) {
    const hour = floorTo(e.ts, HOUR_MS);
    const isError = e.is_error === true || e.is_error === 1;
    if (e.user_pk !== null && e.user_pk !== erasedUserPk) others.add(e.user_pk);
    if (e.event_type === EVENT_TYPES.toolsCall) {
      const tool = e.resource_name || "(unknown)";
      const histogram = e.duration === null ? {} : { [bucketOf(e.duration)]: 1 };
      rollups.toolCalls(hour, tool, 1, isError ? 1 : 0, histogram, -1);
      if (e.user_pk !== null) sketchHours.set(`${hour}\u0000${tool}`, { tool, hour });
    }
    if (isError) {
      const key = errorKeyOf(e.resource_name, e.event_type, fromJson(e.error), fromJson(e.response));
      const id = `${key.tool}\u0000${key.message}`;
      const entry = errors.get(id) ?? { key, hours: new Map<number, number>() };
      entry.hours.set(hour, (entry.hours.get(hour) ?? 0) + 1);
      errors.set(id, entry);
    }
  }
  for (const row of sessions)
    rollups.session(
      rollupKeyOf({
        firstSeen: row.first_seen,
        userPk: row.user_pk,
        clientName: row.client_name,
        clientVersion: row.client_version,
      }),
      null,
    );
  return {
    rollups,
    errors: [...errors.values()],
    sketchHours: [...sketchHours.values()],
    others: [...others],
  };
}
