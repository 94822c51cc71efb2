import { recomputeSketches, recomputeUsers } from "../../derive/recompute.js";
import { ERASED_EVENT_COLUMNS, type ErasedEventRow, erasedShare } from "../../shared/erased-share.js";
import type { SessionTableRow } from "../../shared/rows.js";
import { tombstoneKey } from "../../shared/tombstone.js";
import { DAY_MS } from "../../time.js";
import type { ErasureResult } from "../../types.js";
import { all, type Db, get, run } from "../db.js";
import { writeRollups } from "../derive/rollups.js";
import { SqlitePass } from "../derive/transaction.js";

/** Runs `sql` with `?` bound to each id in `ids`, in chunks (SQLite limits host parameters). */
export function forChunks(db: Db, ids: number[], sql: (placeholders: string) => string): number {
  let changes = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    changes += db.prepare(sql(chunk.map(() => "?").join(","))).run(...chunk).changes;
  }
  return changes;
}

function* inChunks<T>(list: T[], size = 500): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

const cursorOf = (db: Db): number =>
  (get<{ cursor: number }>(db, "SELECT cursor FROM derivation") as { cursor: number }).cursor;

/**
 * Erases a user inside the caller's IMMEDIATE transaction (`immediate` in db.ts, so no chunk of
 * the pass runs in between): their sessions, every event of those sessions or attributed to them, their derived
 * rows and their share of the aggregates. Events not derived yet go too, and a tombstone makes
 * the pass drop any that still arrive with an earlier timestamp (an SDK's retry), so the user is
 * never re-created from events in flight. Other users who had events in the erased sessions are
 * recomputed, and the distinct-user sketches the user was in are rebuilt without them.
 */
export async function deleteUser(db: Db, projectPk: number, userId: string): Promise<ErasureResult | null> {
  const cursor = cursorOf(db);
  const user = get<{ pk: number }>(
    db,
    "SELECT pk FROM users WHERE project_pk = ? AND user_id = ?",
    projectPk,
    userId,
  );
  // Sessions the user identifies in events not derived yet are theirs too.
  const pending = all<{ session_key: string | null }>(
    db,
    "SELECT DISTINCT session_key FROM events WHERE pk > ? AND project_pk = ? AND actor_id = ?",
    cursor,
    projectPk,
    userId,
  );
  if (!user && pending.length === 0) return null;
  const pendingKeys = pending.flatMap((row) => (row.session_key === null ? [] : [row.session_key]));
  const sessionRows = new Map<number, SessionTableRow<number>>();
  if (user)
    for (const row of all<SessionTableRow<number>>(db, "SELECT * FROM sessions WHERE user_pk = ?", user.pk))
      sessionRows.set(row.pk, row);
  for (const ids of inChunks(pendingKeys))
    for (const row of all<SessionTableRow<number>>(
      db,
      `SELECT * FROM sessions WHERE project_pk = ? AND session_id IN (${ids.map(() => "?").join(",")})`,
      projectPk,
      ...ids,
    ))
      sessionRows.set(row.pk, row);
  const named = [
    ...new Set([
      ...[...sessionRows.values()].filter((s) => s.group_key === null).map((s) => s.session_id),
      ...pendingKeys,
    ]),
  ];
  const now = Date.now();
  const tombstone = (kind: string, id: string) =>
    run(
      db,
      "INSERT OR REPLACE INTO erasures (project_pk, kind, id, erased_at) VALUES (?, ?, ?, ?)",
      projectPk,
      kind,
      tombstoneKey(id),
      now,
    );
  tombstone("user", userId);
  for (const id of named) tombstone("session", id);
  let deletedEvents = run(
    db,
    "DELETE FROM events WHERE pk > ? AND project_pk = ? AND actor_id = ?",
    cursor,
    projectPk,
    userId,
  ).changes;
  for (const ids of inChunks(named))
    deletedEvents += run(
      db,
      `DELETE FROM events WHERE pk > ? AND project_pk = ? AND session_key IN (${ids.map(() => "?").join(",")})`,
      cursor,
      projectPk,
      ...ids,
    ).changes;

  const sessions = [...sessionRows.values()];
  const sessionPks = sessions.map((row) => row.pk);
  const events = new Map<number, ErasedEventRow>();
  if (user)
    for (const row of all<ErasedEventRow>(db, `SELECT ${ERASED_EVENT_COLUMNS} WHERE l.user_pk = ?`, user.pk))
      events.set(row.pk, row);
  for (const sessionPk of sessionPks)
    for (const row of all<ErasedEventRow>(
      db,
      `SELECT ${ERASED_EVENT_COLUMNS} WHERE l.session_pk = ?`,
      sessionPk,
    ))
      events.set(row.pk, row);
  const { rollups, errors, sketchHours, others } = erasedShare(events.values(), sessions, user?.pk ?? null);
  const errorHours = new Map<string, number>();
  for (const { key, hours } of errors) {
    const group = get<{ pk: number }>(
      db,
      "SELECT pk FROM error_groups WHERE project_pk = ? AND tool = ? AND message = ?",
      projectPk,
      key.tool,
      key.message,
    );
    if (group) for (const [hour, count] of hours) errorHours.set(`${group.pk}:${hour}`, count);
  }

  const eventPks = [...events.keys()];
  const touchedSessions = [...new Set([...events.values()].map((e) => e.session_pk))].filter(
    (pk) => !sessionPks.includes(pk),
  );
  forChunks(
    db,
    eventPks,
    (p) => `UPDATE error_groups SET sample_event_pk = NULL WHERE sample_event_pk IN (${p})`,
  );
  deletedEvents += forChunks(db, eventPks, (p) => `DELETE FROM events WHERE pk IN (${p})`);
  forChunks(db, eventPks, (p) => `DELETE FROM event_links WHERE event_pk IN (${p})`);
  forChunks(db, sessionPks, (p) => `DELETE FROM session_tools WHERE session_pk IN (${p})`);
  forChunks(db, sessionPks, (p) => `DELETE FROM error_group_sessions WHERE session_pk IN (${p})`);
  const deletedSessions = forChunks(db, sessionPks, (p) => `DELETE FROM sessions WHERE pk IN (${p})`);
  for (const sessionPk of touchedSessions) recountSession(db, sessionPk);

  for (const [key, count] of errorHours) {
    const [groupPk, hour] = key.split(":").map(Number);
    run(db, "UPDATE error_hours SET count = count - ? WHERE group_pk = ? AND hour = ?", count, groupPk, hour);
  }
  if (user) {
    run(db, "DELETE FROM error_group_users WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM user_tools WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM user_clients WHERE user_pk = ?", user.pk);
    run(db, "DELETE FROM users WHERE pk = ?", user.pk);
  }
  writeRollups(db, projectPk, rollups);
  cleanUpAggregates(db, projectPk);
  // What other users and the sketches held of the erased events, computed again from what is left.
  const pass = new SqlitePass(db);
  await pass.writeUserTotals(projectPk, await recomputeUsers(pass, others));
  await pass.writeSketches(projectPk, await recomputeSketches(pass, projectPk, sketchHours));
  return { users: 1, sessions: deletedSessions, events: deletedEvents };
}

/** Recomputes a surviving session's counters after some of its events were erased. */
function recountSession(db: Db, sessionPk: number): void {
  run(
    db,
    `UPDATE sessions SET
       events = (SELECT count(*) FROM event_links WHERE session_pk = ?1),
       tool_calls = (SELECT count(*) FROM event_links l JOIN events e ON e.pk = l.event_pk
         WHERE l.session_pk = ?1 AND e.event_type = 'mcp:tools/call'),
       errors = (SELECT count(*) FROM event_links l JOIN events e ON e.pk = l.event_pk
         WHERE l.session_pk = ?1 AND e.is_error = 1)
     WHERE pk = ?1`,
    sessionPk,
  );
}

/** Drops emptied rollup rows and error groups, and refreshes error groups' distinct counts. */
export function cleanUpAggregates(db: Db, projectPk: number): void {
  run(db, "DELETE FROM tool_hours WHERE project_pk = ? AND calls <= 0", projectPk);
  // A sketch goes once no call of its tool in its hour (day) is left.
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
