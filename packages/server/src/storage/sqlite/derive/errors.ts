import { compareIds } from "../../derive/order.js";
import { floorTo, HOUR_MS } from "../../time.js";
import { type Db, get, insertRows, run } from "../db.js";

interface ErrorGroupDelta {
  tool: string;
  message: string;
  /** Occurrences: first and last time, the latest occurrence's event, and counts per hour. */
  first: number;
  last: number;
  sampleEventPk: number | null;
  sampleEventId: string;
  hours: Map<number, number>;
  sessions: Set<number>;
  users: Set<number>;
}

const SEP = "\u0000";

/**
 * A chunk's error occurrences per error group, written once per group at its end (the group's
 * row, its hours, and the sessions and users it reached) instead of four to six statements per
 * failed event.
 */
export class ErrorDeltas {
  private groups = new Map<string, ErrorGroupDelta>();

  private group(key: { tool: string; message: string }): ErrorGroupDelta {
    const id = `${key.tool}${SEP}${key.message}`;
    let group = this.groups.get(id);
    if (!group) {
      group = {
        ...key,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
        sampleEventPk: null,
        sampleEventId: "",
        hours: new Map(),
        sessions: new Set(),
        users: new Set(),
      };
      this.groups.set(id, group);
    }
    return group;
  }

  /** One error occurrence; the latest (by time, then event id) becomes the group's sample. */
  add(o: {
    key: { tool: string; message: string };
    ts: number;
    eventPk: number;
    eventId: string;
    sessionPk: number;
    userPk: number | null;
  }): void {
    const { key, ts, eventPk, sessionPk, userPk } = o;
    const group = this.group(key);
    group.first = Math.min(group.first, ts);
    if (ts > group.last || (ts === group.last && compareIds(o.eventId, group.sampleEventId) > 0)) {
      group.last = ts;
      group.sampleEventPk = eventPk;
      group.sampleEventId = o.eventId;
    }
    const hour = floorTo(ts, HOUR_MS);
    group.hours.set(hour, (group.hours.get(hour) ?? 0) + 1);
    group.sessions.add(sessionPk);
    if (userPk !== null) group.users.add(userPk);
  }

  /** A stored occurrence now belongs to `userPk`. */
  linkUser(key: { tool: string; message: string }, userPk: number): void {
    this.group(key).users.add(userPk);
  }

  /** A stored occurrence now belongs to session `sessionPk` (sessions merged). */
  linkSession(key: { tool: string; message: string }, sessionPk: number): void {
    this.group(key).sessions.add(sessionPk);
  }

  flush(db: Db, projectPk: number): void {
    for (const group of this.groups.values()) {
      const groupPk =
        group.sampleEventPk === null ? errorGroupPk(db, projectPk, group) : upsertGroup(db, projectPk, group);
      if (groupPk === null) continue;
      const hours: unknown[] = [];
      for (const [hour, count] of group.hours) hours.push(groupPk, hour, count, projectPk);
      insertRows(
        db,
        "INSERT INTO error_hours (group_pk, hour, count, project_pk) VALUES",
        4,
        hours,
        "ON CONFLICT DO UPDATE SET count = count + excluded.count",
      );
      linkGroup(db, groupPk, "error_group_sessions", "sessions", group.sessions);
      linkGroup(db, groupPk, "error_group_users", "users", group.users);
    }
    this.groups.clear();
  }
}

function upsertGroup(db: Db, projectPk: number, group: ErrorGroupDelta): number {
  return (
    get<{ pk: number }>(
      db,
      `INSERT INTO error_groups (project_pk, tool, message, first_seen, last_seen, sample_event_pk)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_pk, tool, message) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
         sample_event_pk = CASE WHEN excluded.last_seen > last_seen OR (excluded.last_seen = last_seen
             AND ? > coalesce((SELECT event_id FROM events WHERE pk = sample_event_pk), ''))
           THEN excluded.sample_event_pk ELSE sample_event_pk END
       RETURNING pk`,
      projectPk,
      group.tool,
      group.message,
      group.first,
      group.last,
      group.sampleEventPk,
      group.sampleEventId,
    ) as { pk: number }
  ).pk;
}

/** Links the group to sessions or users; the group's count grows by the links that are new. */
function linkGroup(
  db: Db,
  groupPk: number,
  table: "error_group_sessions" | "error_group_users",
  counter: "sessions" | "users",
  pks: Set<number>,
): void {
  if (pks.size === 0) return;
  const rows: unknown[] = [];
  for (const pk of pks) rows.push(groupPk, pk);
  let added = 0;
  // One statement per chunk; `changes` counts only the rows that were not linked yet.
  for (let start = 0; start < rows.length; start += 200) {
    const chunk = rows.slice(start, start + 200);
    const values = Array.from({ length: chunk.length / 2 }, () => "(?, ?)").join(", ");
    added += run(db, `INSERT OR IGNORE INTO ${table} VALUES ${values}`, ...chunk).changes;
  }
  if (added > 0) run(db, `UPDATE error_groups SET ${counter} = ${counter} + ? WHERE pk = ?`, added, groupPk);
}

function errorGroupPk(db: Db, projectPk: number, key: { tool: string; message: string }): number | null {
  return (
    get<{ pk: number }>(
      db,
      "SELECT pk FROM error_groups WHERE project_pk = ? AND tool = ? AND message = ?",
      projectPk,
      key.tool,
      key.message,
    )?.pk ?? null
  );
}
