import type pg from "pg";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import type { RetentionResult } from "../../types.js";
import { all, run, type Sql, transaction } from "../db.js";
import { chunkLock } from "../derive/transaction.js";
import { cleanUpAggregates } from "./erasure.js";

const CHUNK = 500;

/**
 * Deletes derived events older than `cutoff`, sessions and users whose whole activity is older,
 * and rollup hours before it. Small transactions, each holding the chunk lock so that no chunk of
 * the pass runs in between, so neither ingest nor the pass is blocked for long. Events not derived
 * yet are left to the pass; a later run removes them.
 */
export async function deleteOlderThan(
  pool: pg.Pool,
  schema: string,
  cutoff: number,
): Promise<RetentionResult> {
  const locked = (db: Sql) =>
    run(db, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [chunkLock(schema)]);
  const result: RetentionResult = { events: 0, sessions: 0, users: 0 };
  const projects = (await all<{ pk: number }>(pool, "SELECT pk FROM projects")).map((row) => row.pk);
  for (const projectPk of projects) {
    let after: [number, number] = [-1, -1];
    for (;;) {
      const sessions = await all<{ pk: number; first_seen: number; last_seen: number }>(
        pool,
        `SELECT pk, first_seen, last_seen FROM sessions WHERE project_pk = $1 AND first_seen < $2
           AND (first_seen > $3 OR (first_seen = $3 AND pk > $4)) ORDER BY first_seen, pk LIMIT ${CHUNK}`,
        [projectPk, cutoff, after[0], after[1]],
      );
      const last = sessions.at(-1);
      if (!last) break;
      after = [last.first_seen, last.pk];
      await transaction(pool, async (db) => {
        await locked(db);
        const pks = sessions.map((s) => s.pk);
        const ended = sessions.filter((s) => s.last_seen < cutoff).map((s) => s.pk);
        result.events += await run(
          db,
          `WITH gone AS (DELETE FROM event_links WHERE session_pk = ANY($1::bigint[]) AND ts < $2 RETURNING event_pk)
           DELETE FROM events WHERE pk IN (SELECT event_pk FROM gone)`,
          [pks, Math.floor(cutoff)],
        );
        await run(db, "DELETE FROM error_group_sessions WHERE session_pk = ANY($1::bigint[])", [ended]);
        result.sessions += await run(db, "DELETE FROM sessions WHERE pk = ANY($1::bigint[])", [ended]);
      });
    }
    await transaction(pool, async (db) => {
      await locked(db);
      const hour = floorTo(cutoff, HOUR_MS);
      for (const table of ["tool_hours", "tool_hour_users", "session_hours", "client_hours", "error_hours"])
        await run(db, `DELETE FROM ${table} WHERE project_pk = $1 AND hour < $2`, [projectPk, hour]);
      await run(db, `DELETE FROM tool_day_users WHERE project_pk = $1 AND day + ${DAY_MS} <= $2`, [
        projectPk,
        hour,
      ]);
      const users = (
        await all<{ pk: number }>(db, "SELECT pk FROM users WHERE project_pk = $1 AND last_seen < $2", [
          projectPk,
          cutoff,
        ])
      ).map((row) => row.pk);
      await run(db, "DELETE FROM error_group_users WHERE user_pk = ANY($1::bigint[])", [users]);
      await run(db, "DELETE FROM user_tools WHERE user_pk = ANY($1::bigint[])", [users]);
      await run(db, "DELETE FROM user_clients WHERE user_pk = ANY($1::bigint[])", [users]);
      result.users += await run(db, "DELETE FROM users WHERE pk = ANY($1::bigint[])", [users]);
      await run(
        db,
        `UPDATE error_groups SET sample_event_pk = NULL WHERE project_pk = $1 AND sample_event_pk IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.pk = sample_event_pk)`,
        [projectPk],
      );
      await cleanUpAggregates(db, projectPk);
    });
  }
  return result;
}
