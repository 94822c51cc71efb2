import { toOverview } from "../../shared/summaries.js";
import { hourBounds } from "../../time.js";
import type { Bucket, Overview, TimeRange } from "../../types.js";
import { all, get, type Sql } from "../db.js";

export async function countSessions(
  db: Sql,
  projectPk: number,
  range: TimeRange,
): Promise<{ sessions: number; identified: number }> {
  const row = await get<{ sessions: number | null; identified: number | null }>(
    db,
    `SELECT sum(sessions) AS sessions, sum(identified) AS identified FROM session_hours
     WHERE project_pk = $1 AND hour >= $2 AND hour < $3`,
    [projectPk, ...hourBounds(range)],
  );
  return { sessions: row?.sessions ?? 0, identified: row?.identified ?? 0 };
}

export async function getOverview(
  db: Sql,
  projectPk: number,
  range: TimeRange,
  bucket: Bucket,
): Promise<Overview> {
  const bounds = [projectPk, ...hourBounds(range)];
  const [active, counts, hours, topTools, topClients, newestUsers] = await Promise.all([
    get<{ n: number }>(
      db,
      "SELECT count(*) AS n FROM users WHERE project_pk = $1 AND last_seen >= $2 AND first_seen < $3",
      [projectPk, range.from, range.to],
    ),
    countSessions(db, projectPk, range),
    all<{ hour: number; calls: number; errors: number }>(
      db,
      `SELECT hour, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
       WHERE project_pk = $1 AND hour >= $2 AND hour < $3 GROUP BY hour`,
      bounds,
    ),
    all<{ name: string; calls: number; errors: number }>(
      db,
      `SELECT tool AS name, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
       WHERE project_pk = $1 AND hour >= $2 AND hour < $3 GROUP BY tool ORDER BY calls DESC, tool LIMIT 10`,
      bounds,
    ),
    all<{ name: string; version: string; sessions: number }>(
      db,
      `SELECT client_name AS name, client_version AS version, sum(sessions) AS sessions FROM client_hours
       WHERE project_pk = $1 AND hour >= $2 AND hour < $3 GROUP BY client_name, client_version
       HAVING sum(sessions) > 0 ORDER BY sessions DESC, name, version LIMIT 10`,
      bounds,
    ),
    all<{ user_id: string; user_name: string | null; first_seen: number }>(
      db,
      `SELECT user_id, user_name, first_seen FROM users WHERE project_pk = $1 AND first_seen >= $2 AND first_seen < $3
       ORDER BY first_seen DESC LIMIT 10`,
      [projectPk, range.from, range.to],
    ),
  ]);

  return toOverview(
    { activeUsers: active?.n ?? 0, sessions: counts, hours, topTools, topClients, newestUsers },
    range,
    bucket,
  );
}
