import { describe, expect, it } from "vitest";
import { LagWindow } from "./runner.js";

/** The percentiles as a sort gives them (the definition the window must match). */
function bySort(lags: number[]) {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0, events: sorted.length };
}

describe("LagWindow", () => {
  it("reports the percentiles of the last minute's samples as a sort would", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const window = new LagWindow();
    const kept: { at: number; lag: number }[] = [];
    let now = 1_000_000;
    expect(window.summary(now)).toEqual(bySort([]));
    for (let chunk = 0; chunk < 300; chunk++) {
      now += Math.floor(random() * 1_000);
      const size = Math.floor(random() * 40);
      // Repeated values and a few outliers, as real lags have.
      const received = Array.from({ length: size }, () =>
        random() < 0.05 ? now - Math.floor(random() * 30_000) : now - Math.floor(random() * 50) * 10,
      );
      window.record(received, now);
      for (const r of received) kept.push({ at: now, lag: Math.max(0, now - r) });
      const expected = bySort(kept.filter((s) => s.at >= now - 60_000).map((s) => s.lag));
      expect(window.summary(now)).toEqual(expected);
    }
    expect(window.summary(now + 120_000)).toEqual(bySort([]));
  });

  it("keeps at most 200,000 samples, dropping the oldest", () => {
    const window = new LagWindow();
    const now = 5_000_000;
    window.record(
      Array.from({ length: 150_000 }, () => now - 900),
      now,
    );
    window.record(
      Array.from({ length: 100_000 }, (_, i) => now - (i % 100)),
      now,
    );
    const summary = window.summary(now);
    expect(summary.events).toBe(200_000);
    expect(summary.maxMs).toBe(900);
    // 100,000 samples of 900 are left beside 100,000 of 0…99.
    expect(summary.p50Ms).toBe(99);
    expect(summary.p99Ms).toBe(900);
  });
});
