import { EVENT_TYPES } from "@mcpsight/protocol";
import { bucketOf } from "../../histogram.js";
import { errorKeyOf } from "../../shared/index.js";
import { rollupKeyOf } from "../../shared/rollup-deltas.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import type { ErasureResult } from "../../types.js";
import { all, type Db, fromJson, get, run } from "../db.js";
import { RollupDeltas } from "../ingest/rollups.js";
import { sessionFromRow } from "../ingest/state.js";

interface DeletedEventRow {
  pk: number;
  session_pk: number;
  ts: number;
  event_type: string;
  resource_name: string | null;
  duration: number | null;
  is_error: number;
  error: string | null;
  response: string | null;
}

/** Runs `sql` with `?` bound to each id in `ids`, in chunks (SQLite limits host parameters). */
export function forChunks(db: Db, ids: number[], sql: (placeholders: string) => string): number {
  let changes = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    changes += db.prepare(sql(chunk.map(() => "?").join(","))).run(...chunk).changes;
  }
  return changes;
}

/**
 * Erases a user: their sessions, every event of those sessions or attributed to them, their
 * derived rows, and their share of the aggregate rollups. Runs in one transaction.
 */
export function deleteUser(db: Db, projectPk: number, userId: string): ErasureResult | null {
  const user = get<{ pk: number }>(
    db,
    "SELECT pk FROM users WHERE project_pk = ? AND user_id = ?",
    projectPk,
    userId,
  );
  if (!user) return null;
  return db.transaction((): ErasureResult => {
    const sessionRows = all<Parameters<typeof sessionFromRow>[0]>(
      db,
      "SELECT * FROM sessions WHERE user_pk = ?",
      user.pk,
    );
    const sessionPks = sessionRows.map((row) => row.pk);
    const events = new Map<number, DeletedEventRow>();
    const columns = "pk, session_pk, ts, event_type, resource_name, duration, is_error, error, response";
    for (const row of all<DeletedEventRow>(db, `SELECT ${columns} FROM events WHERE user_pk = ?`, user.pk))
      events.set(row.pk, row);
    for (const sessionPk of sessionPks)
      for (const row of all<DeletedEventRow>(
        db,
        `SELECT ${columns} FROM events WHERE session_pk = ?`,
        sessionPk,
      ))
        events.set(row.pk, row);

    const rollups = new RollupDeltas();
    const errorHours = new Map<string, number>();
    for (const e of events.values()) {
      const hour = floorTo(e.ts, HOUR_MS);
      if (e.event_type === EVENT_TYPES.toolsCall) {
        const histogram = e.duration === null ? {} : { [bucketOf(e.duration)]: 1 };
        rollups.toolCalls(hour, e.resource_name || "(unknown)", 1, e.is_error, histogram, -1);
      }
      if (e.is_error === 1) {
        const key = errorKeyOf(e.resource_name, e.event_type, fromJson(e.error), fromJson(e.response));
        const group = get<{ pk: number }>(
          db,
          "SELECT pk FROM error_groups WHERE project_pk = ? AND tool = ? AND message = ?",
          projectPk,
          key.tool,
          key.message,
        );
        if (group) errorHours.set(`${group.pk}:${hour}`, (errorHours.get(`${group.pk}:${hour}`) ?? 0) + 1);
      }
    }
    for (const row of sessionRows) rollups.session(rollupKeyOf(sessionFromRow(row)), null);

    const eventPks = [...events.keys()];
    const touchedSessions = [...new Set([...events.values()].map((e) => e.session_pk))].filter(
      (pk) => !sessionPks.includes(pk),
    );
    forChunks(
      db,
      eventPks,
      (p) => `UPDATE error_groups SET sample_event_pk = NULL WHERE sample_event_pk IN (${p})`,
    );
    const deletedEvents = forChunks(db, eventPks, (p) => `DELETE FROM events WHERE pk IN (${p})`);
    forChunks(db, sessionPks, (p) => `DELETE FROM session_tools WHERE session_pk IN (${p})`);
    forChunks(db, sessionPks, (p) => `DELETE FROM error_group_sessions WHERE session_pk IN (${p})`);
    const deletedSessions = forChunks(db, sessionPks, (p) => `DELETE FROM sessions WHERE pk IN (${p})`);
    for (const sessionPk of touchedSessions) recountSession(db, sessionPk);

    for (const [key, count] of errorHours) {
      const [groupPk, hour] = key.split(":").map(Number);
      run(
        db,
        "UPDATE error_hours SET count = count - ? WHERE group_pk = ? AND hour = ?",
        count,
        groupPk,
        hour,
      );
    }
    run(db, "DELETE FROM error_group_users WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM user_tools WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM user_clients WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM users WHERE pk = ?", user.pk);
    rollups.flush(db, projectPk);
    cleanUpAggregates(db, projectPk);
    return { users: 1, sessions: deletedSessions, events: deletedEvents };
  })();
}

/** Recomputes a surviving session's counters after some of its events were erased. */
function recountSession(db: Db, sessionPk: number): void {
  run(
    db,
    `UPDATE sessions SET
       events = (SELECT count(*) FROM events WHERE session_pk = ?1),
       tool_calls = (SELECT count(*) FROM events WHERE session_pk = ?1 AND event_type = 'mcp:tools/call'),
       errors = (SELECT count(*) FROM events WHERE session_pk = ?1 AND is_error = 1)
     WHERE pk = ?1`,
    sessionPk,
  );
}

/** Drops emptied rollup rows and error groups, and refreshes error groups' distinct counts. */
export function cleanUpAggregates(db: Db, projectPk: number): void {
  run(db, "DELETE FROM tool_hours WHERE project_pk = ? AND calls <= 0", projectPk);
  // A sketch cannot forget one user; it goes once no call of its tool in its hour (day) is left.
  run(
    db,
    `DELETE FROM tool_hour_users WHERE project_pk = ? AND NOT EXISTS (SELECT 1 FROM tool_hours h
       WHERE h.project_pk = tool_hour_users.project_pk AND h.hour = tool_hour_users.hour AND h.tool = tool_hour_users.tool)`,
    projectPk,
  );
  run(
    db,
    `DELETE FROM tool_day_users WHERE project_pk = ? AND NOT EXISTS (SELECT 1 FROM tool_hours h
       WHERE h.project_pk = tool_day_users.project_pk AND h.hour >= tool_day_users.day AND h.hour < tool_day_users.day + ${DAY_MS}
         AND h.tool = tool_day_users.tool)`,
    projectPk,
  );
  run(db, "DELETE FROM client_hours WHERE project_pk = ? AND sessions <= 0", projectPk);
  run(db, "DELETE FROM session_hours WHERE project_pk = ? AND sessions <= 0", projectPk);
  run(db, "DELETE FROM error_hours WHERE project_pk = ? AND count <= 0", projectPk);
  const orphans = all<{ pk: number }>(
    db,
    "SELECT pk FROM error_groups g WHERE project_pk = ? AND NOT EXISTS (SELECT 1 FROM error_hours h WHERE h.group_pk = g.pk)",
    projectPk,
  ).map((row) => row.pk);
  forChunks(db, orphans, (p) => `DELETE FROM error_group_users WHERE group_pk IN (${p})`);
  forChunks(db, orphans, (p) => `DELETE FROM error_group_sessions WHERE group_pk IN (${p})`);
  forChunks(db, orphans, (p) => `DELETE FROM error_groups WHERE pk IN (${p})`);
  run(
    db,
    `UPDATE error_groups SET
       users = (SELECT count(*) FROM error_group_users WHERE group_pk = error_groups.pk),
       sessions = (SELECT count(*) FROM error_group_sessions WHERE group_pk = error_groups.pk)
     WHERE project_pk = ?`,
    projectPk,
  );
}
