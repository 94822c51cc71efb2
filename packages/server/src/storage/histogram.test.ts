import { describe, expect, it } from "vitest";
import { addTo, bucketOf, fromCounts, toCounts } from "./histogram.js";

describe("histogram counts by bucket", () => {
  it("round-trips a histogram through a dense array up to its last positive bucket", () => {
    expect(toCounts({})).toEqual([]);
    expect(toCounts({ 2: 3, 5: 1 })).toEqual([0, 0, 3, 0, 0, 1]);
    expect(toCounts({ 1: 4, 7: 0, 9: -2 })).toEqual([0, 4]);
    expect(fromCounts([0, 0, 3, 0, 0, 1])).toEqual({ 2: 3, 5: 1 });
    const histogram: Record<number, number> = {};
    for (const duration of [0.5, 3, 3, 40, 900, 120_000]) addTo(histogram, { [bucketOf(duration)]: 1 });
    expect(fromCounts(toCounts(histogram))).toEqual(histogram);
  });
});
