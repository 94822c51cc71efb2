import { EVENT_TYPES } from "@mcpsight/protocol";
import type pg from "pg";
import { bucketOf } from "../../histogram.js";
import { errorKeyOf } from "../../shared/index.js";
import { rollupKeyOf } from "../../shared/rollup-deltas.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import type { ErasureResult } from "../../types.js";
import { all, fromJson, get, run, type Sql, transaction } from "../db.js";
import { lockKeys } from "../ingest/index.js";
import { RollupDeltas } from "../ingest/rollups.js";
import { type SessionRow, sessionFromRow } from "../ingest/state.js";

interface DeletedEventRow {
  pk: number;
  session_pk: number;
  ts: number;
  event_type: string;
  resource_name: string | null;
  duration: number | null;
  is_error: boolean;
  error: string | null;
  response: string | null;
}

/**
 * Erases a user: their sessions, every event of those sessions or attributed to them, their
 * derived rows, and their share of the aggregate rollups. One transaction, holding the same
 * advisory locks ingest takes for the user and their sessions.
 */
export async function deleteUser(
  pool: pg.Pool,
  projectPk: number,
  projectId: string,
  userId: string,
): Promise<ErasureResult | null> {
  return transaction(pool, async (db) => {
    const user = await get<{ pk: number }>(
      db,
      "SELECT pk FROM users WHERE project_pk = $1 AND user_id = $2",
      [projectPk, userId],
    );
    if (!user) return null;
    const sep = "\u0000";
    const sessionRows = await all<SessionRow>(db, "SELECT * FROM sessions WHERE user_pk = $1", [user.pk]);
    await lockKeys(db, [
      `${projectId}${sep}u${sep}${userId}`,
      ...sessionRows.map((s) => `${projectId}${sep}s${sep}${s.session_id}`),
      ...sessionRows.map((s) => `${projectId}${sep}gu${sep}${userId}${sep}${s.client_name ?? ""}`),
    ]);
    const sessionPks = sessionRows.map((row) => row.pk);
    const events = await all<DeletedEventRow>(
      db,
      `SELECT pk, session_pk, ts, event_type, resource_name, duration, is_error, error, response FROM events
       WHERE user_pk = $1 OR session_pk = ANY($2::bigint[])`,
      [user.pk, sessionPks],
    );

    const rollups = new RollupDeltas();
    const errorHours = new Map<string, { group: number; hour: number; count: number }>();
    const groupPks = new Map<string, number | null>();
    for (const e of events) {
      const hour = floorTo(e.ts, HOUR_MS);
      if (e.event_type === EVENT_TYPES.toolsCall) {
        const histogram = e.duration === null ? {} : { [bucketOf(e.duration)]: 1 };
        rollups.toolCalls(hour, e.resource_name || "(unknown)", 1, e.is_error ? 1 : 0, histogram, -1);
      }
      if (e.is_error) {
        const key = errorKeyOf(e.resource_name, e.event_type, fromJson(e.error), fromJson(e.response));
        const cacheKey = `${key.tool}${sep}${key.message}`;
        if (!groupPks.has(cacheKey))
          groupPks.set(
            cacheKey,
            (
              await get<{ pk: number }>(
                db,
                "SELECT pk FROM error_groups WHERE project_pk = $1 AND tool = $2 AND md5(message) = md5($3) AND message = $3",
                [projectPk, key.tool, key.message],
              )
            )?.pk ?? null,
          );
        const group = groupPks.get(cacheKey);
        if (group !== null && group !== undefined) {
          const entry = errorHours.get(`${group}:${hour}`) ?? { group, hour, count: 0 };
          entry.count++;
          errorHours.set(`${group}:${hour}`, entry);
        }
      }
    }
    for (const row of sessionRows) rollups.session(rollupKeyOf(sessionFromRow(row)), null);

    const eventPks = events.map((e) => e.pk);
    const touchedSessions = [...new Set(events.map((e) => e.session_pk))].filter(
      (pk) => !sessionPks.includes(pk),
    );
    await run(
      db,
      "UPDATE error_groups SET sample_event_pk = NULL WHERE sample_event_pk = ANY($1::bigint[])",
      [eventPks],
    );
    const deletedEvents = await run(db, "DELETE FROM events WHERE pk = ANY($1::bigint[])", [eventPks]);
    await run(db, "DELETE FROM session_tools WHERE session_pk = ANY($1::bigint[])", [sessionPks]);
    await run(db, "DELETE FROM error_group_sessions WHERE session_pk = ANY($1::bigint[])", [sessionPks]);
    const deletedSessions = await run(db, "DELETE FROM sessions WHERE pk = ANY($1::bigint[])", [sessionPks]);
    if (touchedSessions.length > 0) await recountSessions(db, touchedSessions);

    const hours = [...errorHours.values()];
    if (hours.length > 0)
      await run(
        db,
        `UPDATE error_hours h SET count = h.count - d.count
         FROM unnest($1::bigint[], $2::bigint[], $3::int[]) AS d(group_pk, hour, count)
         WHERE h.group_pk = d.group_pk AND h.hour = d.hour`,
        [hours.map((h) => h.group), hours.map((h) => h.hour), hours.map((h) => h.count)],
      );
    await run(db, "DELETE FROM error_group_users WHERE user_pk = $1", [user.pk]);
    await run(db, "DELETE FROM user_tools WHERE user_pk = $1", [user.pk]);
    await run(db, "DELETE FROM user_clients WHERE user_pk = $1", [user.pk]);
    await run(db, "DELETE FROM users WHERE pk = $1", [user.pk]);
    await rollups.flush(db, projectPk);
    await cleanUpAggregates(db, projectPk);
    return { users: 1, sessions: deletedSessions, events: deletedEvents };
  });
}

/** Recomputes surviving sessions' counters after some of their events were erased. */
async function recountSessions(db: Sql, sessionPks: number[]): Promise<void> {
  await run(
    db,
    `UPDATE sessions s SET events = c.events, tool_calls = c.tool_calls, errors = c.errors
     FROM (
       SELECT p.pk, count(e.pk) AS events,
         count(e.pk) FILTER (WHERE e.event_type = 'mcp:tools/call') AS tool_calls,
         count(e.pk) FILTER (WHERE e.is_error) AS errors
       FROM unnest($1::bigint[]) AS p(pk) LEFT JOIN events e ON e.session_pk = p.pk GROUP BY p.pk
     ) c WHERE s.pk = c.pk`,
    [sessionPks],
  );
}

/** Drops emptied rollup rows and error groups, and refreshes error groups' distinct counts. */
export async function cleanUpAggregates(db: Sql, projectPk: number): Promise<void> {
  await run(db, "DELETE FROM tool_hours WHERE project_pk = $1 AND calls <= 0", [projectPk]);
  await run(db, "DELETE FROM tool_hour_durations WHERE project_pk = $1 AND count <= 0", [projectPk]);
  // A sketch cannot forget one user; it goes once no call of its tool in its hour (day) is left.
  await run(
    db,
    `DELETE FROM tool_hour_users s WHERE project_pk = $1 AND NOT EXISTS (SELECT 1 FROM tool_hours h
       WHERE h.project_pk = s.project_pk AND h.hour = s.hour AND h.tool = s.tool)`,
    [projectPk],
  );
  await run(
    db,
    `DELETE FROM tool_day_users s WHERE project_pk = $1 AND NOT EXISTS (SELECT 1 FROM tool_hours h
       WHERE h.project_pk = s.project_pk AND h.hour >= s.day AND h.hour < s.day + ${DAY_MS} AND h.tool = s.tool)`,
    [projectPk],
  );
  await run(db, "DELETE FROM client_hours WHERE project_pk = $1 AND sessions <= 0", [projectPk]);
  await run(db, "DELETE FROM session_hours WHERE project_pk = $1 AND sessions <= 0", [projectPk]);
  await run(db, "DELETE FROM error_hours WHERE project_pk = $1 AND count <= 0", [projectPk]);
  const orphans = (
    await all<{ pk: number }>(
      db,
      `SELECT pk FROM error_groups g WHERE project_pk = $1
         AND NOT EXISTS (SELECT 1 FROM error_hours h WHERE h.group_pk = g.pk)`,
      [projectPk],
    )
  ).map((row) => row.pk);
  if (orphans.length > 0) {
    await run(db, "DELETE FROM error_group_users WHERE group_pk = ANY($1::bigint[])", [orphans]);
    await run(db, "DELETE FROM error_group_sessions WHERE group_pk = ANY($1::bigint[])", [orphans]);
    await run(db, "DELETE FROM error_groups WHERE pk = ANY($1::bigint[])", [orphans]);
  }
  await run(
    db,
    `UPDATE error_groups g SET
       users = (SELECT count(*) FROM error_group_users WHERE group_pk = g.pk),
       sessions = (SELECT count(*) FROM error_group_sessions WHERE group_pk = g.pk)
     WHERE project_pk = $1`,
    [projectPk],
  );
}
