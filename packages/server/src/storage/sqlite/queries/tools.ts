import { addTo, type Histogram, quantile } from "../../histogram.js";
import { estimateByTool, sketchSpans } from "../../shared/tool-users.js";
import { bucketMs, bucketStarts, fillSeries, floorTo } from "../../time.js";
import type { Bucket, ClientStats, TimeRange, ToolStats } from "../../types.js";
import { all, type Db, fromJson, get } from "../db.js";
import { hourBounds } from "./overview.js";

interface ToolAggregate {
  calls: number;
  errors: number;
  histogram: Histogram;
  trend: Map<number, { calls: number; errors: number }>;
}

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
  const tools = new Map<string, ToolAggregate>();
  const rows = all<{ tool: string; hour: number; calls: number; errors: number; histogram: string }>(
    db,
    "SELECT tool, hour, calls, errors, histogram FROM tool_hours WHERE project_pk = ? AND hour >= ? AND hour < ?",
    projectPk,
    ...hourBounds(range),
  );
  for (const row of rows) {
    const tool = tools.get(row.tool) ?? { calls: 0, errors: 0, histogram: {}, trend: new Map() };
    tool.calls += row.calls;
    tool.errors += row.errors;
    addTo(tool.histogram, fromJson<Histogram>(row.histogram) ?? {});
    const start = floorTo(row.hour, size);
    const point = tool.trend.get(start) ?? { calls: 0, errors: 0 };
    point.calls += row.calls;
    point.errors += row.errors;
    tool.trend.set(start, point);
    tools.set(row.tool, tool);
  }
  const starts = bucketStarts(range.from, range.to, bucket);
  const uniqueUsers = countToolUsers(db, projectPk, range);
  return [...tools.entries()]
    .filter(([, tool]) => tool.calls > 0)
    .sort((a, b) => b[1].calls - a[1].calls || a[0].localeCompare(b[0]))
    .map(([name, tool]) => ({
      name,
      calls: tool.calls,
      errors: tool.errors,
      errorRate: tool.calls === 0 ? 0 : tool.errors / tool.calls,
      uniqueUsers: uniqueUsers.get(name) ?? 0,
      p50Ms: quantile(tool.histogram, 0.5),
      p95Ms: quantile(tool.histogram, 0.95),
      trend: fillSeries(starts, tool.trend, () => ({ calls: 0, errors: 0 })),
    }));
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
