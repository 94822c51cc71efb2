import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import type { RetentionResult } from "../../types.js";
import { all, type Db, run } from "../db.js";
import { cleanUpAggregates, forChunks } from "./erasure.js";

const CHUNK = 500;

/**
 * Deletes derived events older than `cutoff`, sessions and users whose whole activity is older,
 * and rollup hours before it. Works in small IMMEDIATE transactions (the pass writes from another
 * connection), so ingest and the pass are never blocked for long. Events not derived yet are
 * left to the pass; a later run removes them.
 */
export function deleteOlderThan(db: Db, cutoff: number): RetentionResult {
  const result: RetentionResult = { events: 0, sessions: 0, users: 0 };
  const projects = all<{ pk: number }>(db, "SELECT pk FROM projects").map((row) => row.pk);
  for (const projectPk of projects) {
    let after: [number, number] = [-1, -1];
    for (;;) {
      const sessions = all<{ pk: number; first_seen: number; last_seen: number }>(
        db,
        `SELECT pk, first_seen, last_seen FROM sessions WHERE project_pk = ? AND first_seen < ?
           AND (first_seen > ? OR (first_seen = ? AND pk > ?)) ORDER BY first_seen, pk LIMIT ${CHUNK}`,
        projectPk,
        cutoff,
        after[0],
        after[0],
        after[1],
      );
      const last = sessions.at(-1);
      if (!last) break;
      after = [last.first_seen, last.pk];
      db.transaction(() => {
        const pks = sessions.map((s) => s.pk);
        const ended = sessions.filter((s) => s.last_seen < cutoff).map((s) => s.pk);
        const before = Math.floor(cutoff);
        result.events += forChunks(
          db,
          pks,
          (p) =>
            `DELETE FROM events WHERE pk IN (SELECT event_pk FROM event_links WHERE session_pk IN (${p}) AND ts < ${before})`,
        );
        forChunks(db, pks, (p) => `DELETE FROM event_links WHERE session_pk IN (${p}) AND ts < ${before}`);
        forChunks(db, ended, (p) => `DELETE FROM session_tools WHERE session_pk IN (${p})`);
        forChunks(db, ended, (p) => `DELETE FROM error_group_sessions WHERE session_pk IN (${p})`);
        result.sessions += forChunks(db, ended, (p) => `DELETE FROM sessions WHERE pk IN (${p})`);
      }).immediate();
    }
    db.transaction(() => {
      const hour = floorTo(cutoff, HOUR_MS);
      for (const table of ["tool_hours", "tool_hour_users", "session_hours", "client_hours", "error_hours"])
        run(db, `DELETE FROM ${table} WHERE project_pk = ? AND hour < ?`, projectPk, hour);
      run(db, `DELETE FROM tool_day_users WHERE project_pk = ? AND day + ${DAY_MS} <= ?`, projectPk, hour);
      const users = all<{ pk: number }>(
        db,
        "SELECT pk FROM users WHERE project_pk = ? AND last_seen < ?",
        projectPk,
        cutoff,
      ).map((row) => row.pk);
      forChunks(db, users, (p) => `DELETE FROM error_group_users WHERE user_pk IN (${p})`);
      forChunks(db, users, (p) => `DELETE FROM user_tools WHERE user_pk IN (${p})`);
      forChunks(db, users, (p) => `DELETE FROM user_clients WHERE user_pk IN (${p})`);
      result.users += forChunks(db, users, (p) => `DELETE FROM users WHERE pk IN (${p})`);
      run(
        db,
        `UPDATE error_groups SET sample_event_pk = NULL WHERE project_pk = ? AND sample_event_pk IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.pk = sample_event_pk)`,
        projectPk,
      );
      cleanUpAggregates(db, projectPk);
    }).immediate();
  }
  return result;
}
