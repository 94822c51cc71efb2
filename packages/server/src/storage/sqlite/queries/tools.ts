import type { Histogram } from "../../histogram.js";
import { ToolTotalsByName } from "../../shared/summaries.js";
import { estimateByTool, sketchSpans } from "../../shared/tool-users.js";
import { bucketMs, floorTo, hourBounds } from "../../time.js";
import type { Bucket, ClientStats, TimeRange, ToolStats } from "../../types.js";
import { all, type Db, fromJson, get } from "../db.js";

/**
 * How many rows of `source` (a table and the condition choosing one tool's or client's users,
 * `total` of them, indexed by `last_at`) were active in the range: `last_at >= from AND first_at <
 * to`. Counting that side scans every active user; for long ranges it is cheaper to count the
 * inactive ones (last use before `from`, or first use at or after `to` — disjoint, as first_at <=
 * last_at) and subtract. The inactive count stops at half the total, where counting the active
 * side directly is the cheaper one.
 */
function countActive(db: Db, total: number, source: string, keys: unknown[], range: TimeRange): number {
  const half = Math.floor(total / 2);
  const before =
    get<{ n: number }>(
      db,
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${source} AND last_at < ? LIMIT ?)`,
      ...keys,
      range.from,
      half + 1,
    )?.n ?? 0;
  if (before <= half) {
    const after =
      get<{ n: number }>(
        db,
        `SELECT count(*) AS n FROM ${source} AND last_at >= ? AND first_at >= ?`,
        ...keys,
        range.to,
        range.to,
      )?.n ?? 0;
    return total - before - after;
  }
  return (
    get<{ n: number }>(
      db,
      `SELECT count(*) AS n FROM ${source} AND last_at >= ? AND first_at < ?`,
      ...keys,
      range.from,
      range.to,
    )?.n ?? 0
  );
}

export function listToolStats(db: Db, projectPk: number, range: TimeRange, bucket: Bucket): ToolStats[] {
  const size = bucketMs(bucket);
  const tools = new ToolTotalsByName();
  const rows = all<{ tool: string; hour: number; calls: number; errors: number; histogram: string }>(
    db,
    "SELECT tool, hour, calls, errors, histogram FROM tool_hours WHERE project_pk = ? AND hour >= ? AND hour < ?",
    projectPk,
    ...hourBounds(range),
  );
  for (const row of rows) {
    tools.addCalls(row.tool, floorTo(row.hour, size), row.calls, row.errors);
    tools.addDurations(row.tool, fromJson<Histogram>(row.histogram) ?? {});
  }
  return tools.toToolStats(countToolUsers(db, projectPk, range), range, bucket);
}

/** Estimated distinct identified users per tool in the range, from the hour and day sketches. */
function countToolUsers(db: Db, projectPk: number, range: TimeRange): Map<string, number> {
  const spans = sketchSpans(range);
  const rows: { tool: string; sketch: Uint8Array }[] = [];
  if (spans.days)
    rows.push(
      ...all<{ tool: string; sketch: Uint8Array }>(
        db,
        "SELECT tool, sketch FROM tool_day_users WHERE project_pk = ? AND day >= ? AND day < ?",
        projectPk,
        ...spans.days,
      ),
    );
  for (const hours of spans.hours)
    rows.push(
      ...all<{ tool: string; sketch: Uint8Array }>(
        db,
        "SELECT tool, sketch FROM tool_hour_users WHERE project_pk = ? AND hour >= ? AND hour < ?",
        projectPk,
        ...hours,
      ),
    );
  return estimateByTool(rows);
}

export function listClientStats(db: Db, projectPk: number, range: TimeRange): ClientStats[] {
  return all<{ name: string; version: string; sessions: number }>(
    db,
    `SELECT client_name AS name, client_version AS version, sum(sessions) AS sessions FROM client_hours
     WHERE project_pk = ? AND hour >= ? AND hour < ? GROUP BY client_name, client_version
     HAVING sum(sessions) > 0 ORDER BY sessions DESC, name, version`,
    projectPk,
    ...hourBounds(range),
  ).map((row) => ({
    name: row.name || null,
    version: row.version || null,
    sessions: row.sessions,
    users: countActive(
      db,
      get<{ users: number }>(
        db,
        "SELECT users FROM client_user_counts WHERE project_pk = ? AND client_name = ? AND client_version = ?",
        projectPk,
        row.name,
        row.version,
      )?.users ?? 0,
      "user_clients WHERE project_pk = ? AND client_name = ? AND client_version = ?",
      [projectPk, row.name, row.version],
      range,
    ),
  }));
}
