import { bucketMs, bucketStarts, fillSeries, floorTo, HOUR_MS, iso } from "../../time.js";
import type { Bucket, Overview, TimeRange } from "../../types.js";
import { all, get, type Sql } from "../db.js";

const rate = (errors: number, calls: number): number => (calls === 0 ? 0 : errors / calls);

/** Hour-rollup bounds for a range: every hour that overlaps it. */
export const hourBounds = (range: TimeRange): [number, number] => [floorTo(range.from, HOUR_MS), range.to];

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

  const size = bucketMs(bucket);
  const byBucket = new Map<number, { toolCalls: number; errors: number }>();
  let toolCalls = 0;
  let errors = 0;
  for (const row of hours) {
    const start = floorTo(row.hour, size);
    const point = byBucket.get(start) ?? { toolCalls: 0, errors: 0 };
    point.toolCalls += row.calls;
    point.errors += row.errors;
    byBucket.set(start, point);
    toolCalls += row.calls;
    errors += row.errors;
  }
  const { sessions, identified } = counts;
  return {
    totals: {
      activeUsers: active?.n ?? 0,
      sessions,
      identifiedSessions: identified,
      anonymousSessions: sessions - identified,
      toolCalls,
      errors,
      errorRate: rate(errors, toolCalls),
    },
    series: fillSeries(bucketStarts(range.from, range.to, bucket), byBucket, () => ({
      toolCalls: 0,
      errors: 0,
    })),
    topTools: topTools.map((row) => ({ ...row, errorRate: rate(row.errors, row.calls) })),
    topClients: topClients.map((row) => ({
      name: row.name || null,
      version: row.version || null,
      sessions: row.sessions,
    })),
    newestUsers: newestUsers.map((row) => ({
      userId: row.user_id,
      userName: row.user_name,
      firstSeen: iso(row.first_seen),
    })),
  };
}
