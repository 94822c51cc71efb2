import { addTo, type Histogram, quantile } from "../histogram.js";
import { bucketMs, bucketStarts, fillSeries, floorTo, iso } from "../time.js";
import type { Bucket, Overview, TimeRange, ToolStats } from "../types.js";

/**
 * The overview and the tools list from their rollup rows. Each backend runs the same queries in
 * its own dialect and hands the rows here, so both shape the answers the same way.
 */

export const errorRate = (errors: number, calls: number): number => (calls === 0 ? 0 : errors / calls);

/** The rows the overview is made of. */
export interface OverviewRows {
  activeUsers: number;
  sessions: { sessions: number; identified: number };
  /** Tool calls and errors per hour. */
  hours: { hour: number; calls: number; errors: number }[];
  topTools: { name: string; calls: number; errors: number }[];
  /** Clients by (name, version); an empty string is a client that did not say. */
  topClients: { name: string; version: string; sessions: number }[];
  newestUsers: { user_id: string; user_name: string | null; first_seen: number }[];
}

export function toOverview(rows: OverviewRows, range: TimeRange, bucket: Bucket): Overview {
  const size = bucketMs(bucket);
  const byBucket = new Map<number, { toolCalls: number; errors: number }>();
  let toolCalls = 0;
  let errors = 0;
  for (const row of rows.hours) {
    const start = floorTo(row.hour, size);
    const point = byBucket.get(start) ?? { toolCalls: 0, errors: 0 };
    point.toolCalls += row.calls;
    point.errors += row.errors;
    byBucket.set(start, point);
    toolCalls += row.calls;
    errors += row.errors;
  }
  const { sessions, identified } = rows.sessions;
  return {
    totals: {
      activeUsers: rows.activeUsers,
      sessions,
      identifiedSessions: identified,
      anonymousSessions: sessions - identified,
      toolCalls,
      errors,
      errorRate: errorRate(errors, toolCalls),
    },
    series: fillSeries(bucketStarts(range.from, range.to, bucket), byBucket, () => ({
      toolCalls: 0,
      errors: 0,
    })),
    topTools: rows.topTools.map((row) => ({ ...row, errorRate: errorRate(row.errors, row.calls) })),
    topClients: rows.topClients.map((row) => ({
      name: row.name || null,
      version: row.version || null,
      sessions: row.sessions,
    })),
    newestUsers: rows.newestUsers.map((row) => ({
      userId: row.user_id,
      userName: row.user_name,
      firstSeen: iso(row.first_seen),
    })),
  };
}

/** One tool's calls over a range, summed from its rollup rows. */
interface ToolTotals {
  calls: number;
  errors: number;
  histogram: Histogram;
  trend: Map<number, { calls: number; errors: number }>;
}

/** Tools summed from hourly rollup rows, then shaped into the tools list. */
export class ToolTotalsByName {
  private readonly tools = new Map<string, ToolTotals>();

  /** Adds a rollup row: `calls` and `errors` of `tool` in the trend bucket starting at `start`. */
  addCalls(tool: string, start: number, calls: number, errors: number): void {
    let totals = this.tools.get(tool);
    if (!totals) {
      totals = { calls: 0, errors: 0, histogram: {}, trend: new Map() };
      this.tools.set(tool, totals);
    }
    totals.calls += calls;
    totals.errors += errors;
    const point = totals.trend.get(start) ?? { calls: 0, errors: 0 };
    point.calls += calls;
    point.errors += errors;
    totals.trend.set(start, point);
  }

  /** Adds duration counts to a tool that has calls (durations of other tools are ignored). */
  addDurations(tool: string, histogram: Histogram): void {
    const totals = this.tools.get(tool);
    if (totals) addTo(totals.histogram, histogram);
  }

  /** Tools with calls, most called first (then by name), with their trend over `range` in `bucket`s. */
  toToolStats(uniqueUsers: Map<string, number>, range: TimeRange, bucket: Bucket): ToolStats[] {
    const starts = bucketStarts(range.from, range.to, bucket);
    return [...this.tools.entries()]
      .filter(([, tool]) => tool.calls > 0)
      .sort((a, b) => b[1].calls - a[1].calls || a[0].localeCompare(b[0]))
      .map(([name, tool]) => ({
        name,
        calls: tool.calls,
        errors: tool.errors,
        errorRate: errorRate(tool.errors, tool.calls),
        uniqueUsers: uniqueUsers.get(name) ?? 0,
        p50Ms: quantile(tool.histogram, 0.5),
        p95Ms: quantile(tool.histogram, 0.95),
        trend: fillSeries(starts, tool.trend, () => ({ calls: 0, errors: 0 })),
      }));
  }
}
