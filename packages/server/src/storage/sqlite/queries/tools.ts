import { addTo, type Histogram, quantile } from "../../histogram.js";
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
  return [...tools.entries()]
    .filter(([, tool]) => tool.calls > 0)
    .sort((a, b) => b[1].calls - a[1].calls || a[0].localeCompare(b[0]))
    .map(([name, tool]) => ({
      name,
      calls: tool.calls,
      errors: tool.errors,
      errorRate: tool.calls === 0 ? 0 : tool.errors / tool.calls,
      uniqueUsers:
        get<{ n: number }>(
          db,
          "SELECT count(*) AS n FROM user_tools WHERE project_pk = ? AND tool = ? AND last_at >= ? AND first_at < ?",
          projectPk,
          name,
          range.from,
          range.to,
        )?.n ?? 0,
      p50Ms: quantile(tool.histogram, 0.5),
      p95Ms: quantile(tool.histogram, 0.95),
      trend: fillSeries(starts, tool.trend, () => ({ calls: 0, errors: 0 })),
    }));
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
    users:
      get<{ n: number }>(
        db,
        `SELECT count(*) AS n FROM user_clients WHERE project_pk = ? AND client_name = ? AND client_version = ?
         AND last_at >= ? AND first_at < ?`,
        projectPk,
        row.name,
        row.version,
        range.from,
        range.to,
      )?.n ?? 0,
  }));
}
