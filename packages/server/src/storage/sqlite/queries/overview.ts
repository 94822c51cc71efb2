import { bucketMs, bucketStarts, fillSeries, floorTo, HOUR_MS, iso } from "../../time.js";
import type { Bucket, Overview, TimeRange } from "../../types.js";
import { all, type Db, get } from "../db.js";

const rate = (errors: number, calls: number): number => (calls === 0 ? 0 : errors / calls);

/** Hour-rollup bounds for a range: every hour that overlaps it. */
export const hourBounds = (range: TimeRange): [number, number] => [floorTo(range.from, HOUR_MS), range.to];

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
  const { sessions, identified } = countSessions(db, projectPk, range);

  const size = bucketMs(bucket);
  const byBucket = new Map<number, { toolCalls: number; errors: number }>();
  const hours = all<{ hour: number; calls: number; errors: number }>(
    db,
    `SELECT hour, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY hour`,
    projectPk,
    ...bounds,
  );
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

  const topTools = all<{ name: string; calls: number; errors: number }>(
    db,
    `SELECT tool AS name, sum(calls) AS calls, sum(errors) AS errors FROM tool_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY tool ORDER BY calls DESC, tool LIMIT 10`,
    projectPk,
    ...bounds,
  ).map((row) => ({ ...row, errorRate: rate(row.errors, row.calls) }));
  const topClients = all<{ name: string; version: string; sessions: number }>(
    db,
    `SELECT client_name AS name, client_version AS version, sum(sessions) AS sessions FROM client_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY client_name, client_version
     HAVING sum(sessions) > 0 ORDER BY sessions DESC, name, version LIMIT 10`,
    projectPk,
    ...bounds,
  ).map((row) => ({ name: row.name || null, version: row.version || null, sessions: row.sessions }));
  const newestUsers = all<{ user_id: string; user_name: string | null; first_seen: number }>(
    db,
    `SELECT user_id, user_name, first_seen FROM users WHERE project_pk = ? AND first_seen >= ? AND first_seen < ?
     ORDER BY first_seen DESC LIMIT 10`,
    projectPk,
    range.from,
    range.to,
  ).map((row) => ({ userId: row.user_id, userName: row.user_name, firstSeen: iso(row.first_seen) }));

  return {
    totals: {
      activeUsers,
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
    topTools,
    topClients,
    newestUsers,
  };
}
