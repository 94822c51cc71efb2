import { ToolTotalsByName } from "../../shared/summaries.js";
import { estimateByTool, sketchSpans } from "../../shared/tool-users.js";
import { bucketMs, hourBounds } from "../../time.js";
import type { Bucket, ClientStats, TimeRange, ToolStats } from "../../types.js";
import { all, type Sql } from "../db.js";

export async function listToolStats(
  db: Sql,
  projectPk: number,
  range: TimeRange,
  bucket: Bucket,
): Promise<ToolStats[]> {
  const bounds = [projectPk, ...hourBounds(range)];
  const size = bucketMs(bucket);
  const [hours, durations, users] = await Promise.all([
    // Summed per trend bucket here: a week of hours is ~170 rows per tool, a bucket is one.
    all<{ tool: string; start: number; calls: number; errors: number }>(
      db,
      `SELECT tool, hour / $4::bigint * $4::bigint AS start, sum(calls) AS calls, sum(errors) AS errors
       FROM tool_hours WHERE project_pk = $1 AND hour >= $2 AND hour < $3 GROUP BY tool, start`,
      [...bounds, size],
    ),
    all<{ tool: string; bucket: number; count: number }>(
      db,
      // Each hour's counts by bucket, unnested beside their subscripts (cheaper than a lateral join).
      `SELECT tool, i - 1 AS bucket, sum(count) AS count
       FROM (SELECT tool, unnest(durations) AS count, generate_subscripts(durations, 1) AS i FROM tool_hours
             WHERE project_pk = $1 AND hour >= $2 AND hour < $3) d
       WHERE count > 0 GROUP BY tool, i`,
      bounds,
    ),
    countToolUsers(db, projectPk, range),
  ]);
  const tools = new ToolTotalsByName();
  for (const row of hours) tools.addCalls(row.tool, row.start, row.calls, row.errors);
  for (const row of durations) tools.addDurations(row.tool, { [row.bucket]: row.count });
  return tools.toToolStats(users, range, bucket);
}

/** Estimated distinct identified users per tool in the range, from the hour and day sketches. */
async function countToolUsers(db: Sql, projectPk: number, range: TimeRange): Promise<Map<string, number>> {
  const spans = sketchSpans(range);
  const [a, b] = spans.hours;
  const rows = await all<{ tool: string; sketch: Buffer }>(
    db,
    `SELECT tool, sketch FROM tool_day_users WHERE project_pk = $1 AND day >= $2 AND day < $3
     UNION ALL SELECT tool, sketch FROM tool_hour_users WHERE project_pk = $1
       AND ((hour >= $4 AND hour < $5) OR (hour >= $6 AND hour < $7))`,
    [projectPk, ...(spans.days ?? [0, 0]), ...(a ?? [0, 0]), ...(b ?? [0, 0])],
  );
  return estimateByTool(rows);
}

export async function listClientStats(db: Sql, projectPk: number, range: TimeRange): Promise<ClientStats[]> {
  const [clients, users] = await Promise.all([
    all<{ name: string; version: string; sessions: number }>(
      db,
      `SELECT client_name AS name, client_version AS version, sum(sessions) AS sessions FROM client_hours
       WHERE project_pk = $1 AND hour >= $2 AND hour < $3 GROUP BY client_name, client_version
       HAVING sum(sessions) > 0 ORDER BY sessions DESC, name, version`,
      [projectPk, ...hourBounds(range)],
    ),
    countClientUsers(db, projectPk, range),
  ]);
  return clients.map((row) => ({
    name: row.name || null,
    version: row.version || null,
    sessions: row.sessions,
    users: users.get(`${row.name}\u0000${row.version}`) ?? 0,
  }));
}

/**
 * Users per client active in the range (`last_at >= from AND first_at < to`), counted from the
 * smaller side: every user of the client (client_user_counts) minus those whose last use was
 * before the range or whose first use is at or after its end — disjoint, as first_at <= last_at.
 * The "before" count stops past half the total; a client where it gets there (a short range long
 * after most users left) is counted directly.
 */
async function countClientUsers(db: Sql, projectPk: number, range: TimeRange): Promise<Map<string, number>> {
  const rows = await all<{ name: string; version: string; total: number; before: number; after: number }>(
    db,
    `SELECT c.client_name AS name, c.client_version AS version, c.users AS total,
       (SELECT count(*) FROM (SELECT 1 FROM user_clients u WHERE u.project_pk = $1 AND u.client_name = c.client_name
          AND u.client_version = c.client_version AND u.last_at < $2 LIMIT c.users / 2 + 1) x) AS before,
       (SELECT count(*) FROM user_clients u WHERE u.project_pk = $1 AND u.client_name = c.client_name
          AND u.client_version = c.client_version AND u.last_at >= $3 AND u.first_at >= $3) AS after
     FROM client_user_counts c WHERE c.project_pk = $1 AND c.users > 0`,
    [projectPk, range.from, range.to],
  );
  const counts = new Map<string, number>();
  await Promise.all(
    rows.map(async (row) => {
      let n = row.total - row.before - row.after;
      if (row.before > Math.floor(row.total / 2))
        n =
          (
            await all<{ n: number }>(
              db,
              `SELECT count(*) AS n FROM user_clients WHERE project_pk = $1 AND client_name = $2
               AND client_version = $3 AND last_at >= $4 AND first_at < $5`,
              [projectPk, row.name, row.version, range.from, range.to],
            )
          )[0]?.n ?? 0;
      counts.set(`${row.name}\u0000${row.version}`, n);
    }),
  );
  return counts;
}
