import { describe, expect, it } from "vitest";
import { bucketOf } from "../histogram.js";
import { DAY_MS, HOUR_MS } from "../time.js";
import { ToolTotalsByName, toOverview } from "./summaries.js";

const DAY = Date.UTC(2026, 10, 2);
const range = { from: DAY, to: DAY + 2 * DAY_MS };

describe("toOverview", () => {
  const rows = {
    activeUsers: 3,
    sessions: { sessions: 5, identified: 2 },
    hours: [
      { hour: DAY + HOUR_MS, calls: 4, errors: 1 },
      { hour: DAY + 5 * HOUR_MS, calls: 6, errors: 0 },
      { hour: DAY + DAY_MS, calls: 10, errors: 3 },
    ],
    topTools: [{ name: "search", calls: 8, errors: 2 }],
    topClients: [
      { name: "cursor", version: "1.0", sessions: 3 },
      { name: "", version: "", sessions: 2 },
    ],
    newestUsers: [{ user_id: "u1", user_name: null, first_seen: DAY + 60_000 }],
  };

  it("sums the hours into totals and a zero-filled series of the bucket size", () => {
    const overview = toOverview(rows, range, "day");
    expect(overview.totals).toEqual({
      activeUsers: 3,
      sessions: 5,
      identifiedSessions: 2,
      anonymousSessions: 3,
      toolCalls: 20,
      errors: 4,
      errorRate: 0.2,
    });
    expect(overview.series).toEqual([
      { t: new Date(DAY).toISOString(), toolCalls: 10, errors: 1 },
      { t: new Date(DAY + DAY_MS).toISOString(), toolCalls: 10, errors: 3 },
    ]);
    expect(toOverview(rows, range, "hour").series).toHaveLength(48);
  });

  it("shapes the top lists: error rates, unnamed clients as null, ISO times", () => {
    const overview = toOverview(rows, range, "day");
    expect(overview.topTools).toEqual([{ name: "search", calls: 8, errors: 2, errorRate: 0.25 }]);
    expect(overview.topClients).toEqual([
      { name: "cursor", version: "1.0", sessions: 3 },
      { name: null, version: null, sessions: 2 },
    ]);
    expect(overview.newestUsers).toEqual([
      { userId: "u1", userName: null, firstSeen: new Date(DAY + 60_000).toISOString() },
    ]);
  });

  it("has a zero error rate without calls", () => {
    expect(toOverview({ ...rows, hours: [] }, range, "day").totals.errorRate).toBe(0);
  });
});

describe("ToolTotalsByName", () => {
  it("lists tools with calls, most called first then by name, with trend, users and percentiles", () => {
    const tools = new ToolTotalsByName();
    tools.addCalls("b", DAY, 2, 1);
    tools.addCalls("a", DAY + DAY_MS, 2, 0);
    tools.addCalls("c", DAY, 5, 0);
    tools.addCalls("c", DAY + DAY_MS, 1, 1);
    tools.addCalls("idle", DAY, 0, 0);
    tools.addDurations("c", { [bucketOf(10)]: 5, [bucketOf(1000)]: 1 });
    tools.addDurations("unknown", { [bucketOf(10)]: 1 });
    const stats = tools.toToolStats(new Map([["c", 4]]), range, "day");
    expect(stats.map((t) => t.name)).toEqual(["c", "a", "b"]);
    const [c, a, b] = stats;
    expect(c).toMatchObject({ calls: 6, errors: 1, errorRate: 1 / 6, uniqueUsers: 4 });
    expect(c?.trend).toEqual([
      { t: new Date(DAY).toISOString(), calls: 5, errors: 0 },
      { t: new Date(DAY + DAY_MS).toISOString(), calls: 1, errors: 1 },
    ]);
    expect(c?.p50Ms).toBeGreaterThan(5);
    expect(c?.p50Ms).toBeLessThan(20);
    expect(c?.p95Ms).toBeGreaterThan(500);
    expect(a).toMatchObject({ calls: 2, errors: 0, uniqueUsers: 0, p50Ms: null, p95Ms: null });
    expect(a?.trend.map((p) => p.calls)).toEqual([0, 2]);
    expect(b).toMatchObject({ calls: 2, errors: 1, errorRate: 0.5 });
  });
});
