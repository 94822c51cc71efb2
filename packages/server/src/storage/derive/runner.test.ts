import { describe, expect, it } from "vitest";
import { LagWindow } from "./runner.js";

describe("the derivation lag window", () => {
  it("gives percentiles of the last minute's lags", () => {
    const lag = new LagWindow();
    const now = 1_000_000;
    // 100 events derived at `now`, acknowledged 1 … 100 ms before.
    lag.record(
      Array.from({ length: 100 }, (_, i) => now - (i + 1)),
      now,
    );
    expect(lag.summary(now)).toEqual({ p50Ms: 50, p99Ms: 99, maxMs: 100, events: 100 });
    // A minute later those are gone; a new sample is all there is.
    lag.record([now + 60_001 - 7], now + 60_001);
    expect(lag.summary(now + 60_001)).toEqual({ p50Ms: 7, p99Ms: 7, maxMs: 7, events: 1 });
    expect(lag.summary(now + 200_000)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0, events: 0 });
  });

  it("keeps the newest 200,000 samples when more were derived within the minute", () => {
    const lag = new LagWindow();
    const now = 5_000_000;
    lag.record(new Array<number>(150_000).fill(now - 1_000), now);
    lag.record(new Array<number>(150_000).fill(now - 10), now);
    const summary = lag.summary(now);
    expect(summary.events).toBe(200_000);
    // 150,000 of 10 ms and 50,000 of 1,000 ms remain.
    expect(summary).toMatchObject({ p50Ms: 10, p99Ms: 1_000, maxMs: 1_000 });
  });
});
