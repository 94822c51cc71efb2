import { toOverview } from "../../shared/summaries.js";
import { hourBounds } from "../../time.js";
import type { Bucket, Overview, TimeRange } from "../../types.js";
import { all, type Db, get } from "../db.js";

export function countSessions(
  db: Db,
  projectPk: number,
  range: TimeRange,
): { sessions: number; identified: number } {
  const row = get<{ sessions: number | null; identified: number | null }>(
    db,
    `SELECT sum(sessions) AS sessions, sum(identified) AS identified FROM session_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ?`,
    projectPk,
    ...hourBounds(range),
  );
  return { sessions: row?.sessions ?? 0, identified: row?.identified ?? 0 };
}

export function getOverview(db: Db, projectPk: number, range: TimeRange, bucket: Bucket): Overview {
  const bounds = hourBounds(range);
  const activeUsers =
    get<{ n: number }>(
      db,
      "SELECT count(*) AS n FROM users WHERE project_pk = ? AND last_seen >= ? AND first_seen < ?",
      projectPk,
      range.from,
      range.to,
    )?.n ?? 0;
  const hours = all<{ hour: number; calls: number; errors: number }>(
    db,
    `SELECT hour, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY hour`,
    projectPk,
    ...bounds,
  );
  const topTools = all<{ name: string; calls: number; errors: number }>(
    db,
    `SELECT tool AS name, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY tool ORDER BY calls DESC, tool LIMIT 10`,
    projectPk,
    ...bounds,
  );
  const topClients = all<{ name: string; version: string; sessions: number }>(
    db,
    `SELECT client_name AS name, client_version AS version, sum(sessions) AS sessions FROM client_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY client_name, client_version
     HAVING sum(sessions) > 0 ORDER BY sessions DESC, name, version LIMIT 10`,
    projectPk,
    ...bounds,
  );
  const newestUsers = all<{ user_id: string; user_name: string | null; first_seen: number }>(
    db,
    `SELECT user_id, user_name, first_seen FROM users WHERE project_pk = ? AND first_seen >= ? AND first_seen < ?
     ORDER BY first_seen DESC LIMIT 10`,
    projectPk,
    range.from,
    range.to,
  );
  const sessions = countSessions(db, projectPk, range);
  return toOverview({ activeUsers, sessions, hours, topTools, topClients, newestUsers }, range, bucket);
}
