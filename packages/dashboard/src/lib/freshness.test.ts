import { describe, expect, it } from "vitest";
import { freshnessText, reportFreshness, subscribeFreshness } from "./freshness";

describe("freshness notice", () => {
  it("says nothing while the data is at most five seconds behind", () => {
    expect(freshnessText(null)).toBeNull();
    expect(freshnessText({ dataAsOf: "2026-11-27T10:00:00.000Z", lagMs: 5_000, pending: 3 })).toBeNull();
  });

  it("names the time the data is complete up to and what is still pending", () => {
    const text = freshnessText(
      { dataAsOf: "2026-11-27T10:00:00.000Z", lagMs: 12_000, pending: 1_500 },
      "UTC",
    );
    expect(text).toBe("Data as of 10:00:00: 1,500 events received since are still being processed.");
  });

  it("passes each answer's freshness to the listeners, and ignores answers without one", () => {
    const seen: unknown[] = [];
    const stop = subscribeFreshness((value) => seen.push(value));
    reportFreshness({ items: [] });
    const fresh = { dataAsOf: "2026-11-27T10:00:00.000Z", lagMs: 9_000, pending: 1 };
    reportFreshness({ freshness: fresh });
    reportFreshness({ freshness: { ...fresh } });
    stop();
    reportFreshness({ freshness: { ...fresh, pending: 2 } });
    expect(seen).toEqual([null, fresh]);
  });
});
