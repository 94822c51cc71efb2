import type pg from "pg";
import { recomputeSketches, recomputeUsers } from "../../derive/recompute.js";
import { ERASED_EVENT_COLUMNS, type ErasedEventRow, erasedShare } from "../../shared/erased-share.js";
import type { SessionTableRow } from "../../shared/rows.js";
import { tombstoneKey } from "../../shared/tombstone.js";
import { DAY_MS } from "../../time.js";
import type { ErasureResult } from "../../types.js";
import { all, get, run, type Sql, transaction } from "../db.js";
import { writeRollups } from "../derive/rollups.js";
import { chunkLock, PostgresPass, readCursor } from "../derive/transaction.js";

/**
 * Erases a user in one transaction holding the chunk lock (no chunk of the pass runs in
 * between): their sessions, every event of those sessions or attributed to them, their derived
 * rows and their share of the aggregates. Events not derived yet go too, and a tombstone makes
 * the pass drop any that still arrive with an earlier timestamp (an SDK's retry), so the user is
 * never re-created from events in flight. Other users who had events in the erased sessions are
 * recomputed, and the distinct-user sketches the user was in are rebuilt without them.
 */
export async function deleteUser(
  pool: pg.Pool,
  schema: string,
  projectPk: number,
  userId: string,
): Promise<ErasureResult | null> {
  return transaction(pool, async (db) => {
    await run(db, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [chunkLock(schema)]);
    const cursor = await readCursor(db);
    const after = [cursor.txid, cursor.pk] as const;
    const [user, pending] = await Promise.all([
      get<{ pk: number }>(db, "SELECT pk FROM users WHERE project_pk = $1 AND user_id = $2", [
        projectPk,
        userId,
      ]),
      // Sessions the user identifies in events not derived yet are theirs too.
      all<{ session_key: string | null }>(
        db,
        `SELECT DISTINCT session_key FROM events
         WHERE (txid, pk) > ($1::xid8, $2::bigint) AND project_pk = $3 AND actor_id = $4`,
        [...after, projectPk, userId],
      ),
    ]);
    if (!user && pending.length === 0) return null;
    const pendingKeys = pending.flatMap((row) => (row.session_key === null ? [] : [row.session_key]));
    const sessions = await all<SessionTableRow<boolean>>(
      db,
      "SELECT * FROM sessions WHERE user_pk = $1 OR (project_pk = $2 AND session_id = ANY($3::text[]))",
      [user?.pk ?? -1, projectPk, pendingKeys],
    );
    const named = [
      ...new Set([...sessions.filter((s) => s.group_key === null).map((s) => s.session_id), ...pendingKeys]),
    ];
    await run(
      db,
      `INSERT INTO erasures (project_pk, kind, id, erased_at)
       SELECT $1, kind, id, $4 FROM unnest($2::text[], $3::text[]) AS x(kind, id)
       ON CONFLICT (project_pk, kind, id) DO UPDATE SET erased_at = excluded.erased_at`,
      [
        projectPk,
        ["user", ...named.map(() => "session")],
        [tombstoneKey(userId), ...named.map(tombstoneKey)],
        Date.now(),
      ],
    );
    let deletedEvents = await run(
      db,
      `DELETE FROM events WHERE (txid, pk) > ($1::xid8, $2::bigint) AND project_pk = $3
         AND (actor_id = $4 OR session_key = ANY($5::text[]))`,
      [...after, projectPk, userId, named],
    );
    if (!user) return { users: 1, sessions: 0, events: deletedEvents };

    const sessionPks = sessions.map((row) => row.pk);
    const events = await all<ErasedEventRow>(
      db,
      `SELECT ${ERASED_EVENT_COLUMNS} WHERE l.user_pk = $1 OR l.session_pk = ANY($2::bigint[])`,
      [user.pk, sessionPks],
    );
    const { rollups, errors, sketchHours, others } = erasedShare(events, sessions, user.pk);
    const errorHours: { group: number; hour: number; count: number }[] = [];
    for (const { key, hours } of errors) {
      const group = await get<{ pk: number }>(
        db,
        "SELECT pk FROM error_groups WHERE project_pk = $1 AND tool = $2 AND md5(message) = md5($3) AND message = $3",
        [projectPk, key.tool, key.message],
      );
      if (group) for (const [hour, count] of hours) errorHours.push({ group: group.pk, hour, count });
    }

    const eventPks = events.map((e) => e.pk);
    const touchedSessions = [...new Set(events.map((e) => e.session_pk))].filter(
      (pk) => !sessionPks.includes(pk),
    );
    await run(
      db,
      "UPDATE error_groups SET sample_event_pk = NULL WHERE sample_event_pk = ANY($1::bigint[])",
      [eventPks],
    );
    deletedEvents += await run(db, "DELETE FROM events WHERE pk = ANY($1::bigint[])", [eventPks]);
    await run(db, "DELETE FROM event_links WHERE event_pk = ANY($1::bigint[])", [eventPks]);
    await run(db, "DELETE FROM error_group_sessions WHERE session_pk = ANY($1::bigint[])", [sessionPks]);
    const deletedSessions = await run(db, "DELETE FROM sessions WHERE pk = ANY($1::bigint[])", [sessionPks]);
    if (touchedSessions.length > 0) await recountSessions(db, touchedSessions);

    const hours = errorHours;
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
    await writeRollups(db, projectPk, rollups);
    await cleanUpAggregates(db, projectPk);
    // What other users and the sketches held of the erased events, computed again from what is left.
    const pass = new PostgresPass(db);
    await pass.writeUserTotals(projectPk, await recomputeUsers(pass, others));
    await pass.writeSketches(projectPk, await recomputeSketches(pass, projectPk, sketchHours));
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
       FROM unnest($1::bigint[]) AS p(pk) LEFT JOIN event_links l ON l.session_pk = p.pk
         LEFT JOIN events e ON e.pk = l.event_pk GROUP BY p.pk
     ) c WHERE s.pk = c.pk`,
    [sessionPks],
  );
}

/** Drops emptied rollup rows and error groups, and refreshes error groups' distinct counts. */
export async function cleanUpAggregates(db: Sql, projectPk: number): Promise<void> {
  await run(db, "DELETE FROM tool_hours WHERE project_pk = $1 AND calls <= 0", [projectPk]);
  // A sketch goes once no call of its tool in its hour (day) is left.
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
