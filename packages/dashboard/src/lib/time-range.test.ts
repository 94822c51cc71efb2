import { describe, expect, it } from "vitest";
import { parseRange, rangeToQuery, resolveRange } from "./time-range";

describe("time range in the URL", () => {
  it("defaults to the last 24 hours and keeps the default out of the URL", () => {
    const r = parseRange(new URLSearchParams());
    expect(r).toEqual({ kind: "preset", preset: "24h" });
    expect(rangeToQuery(r)).toEqual({ range: null, from: null, to: null });
  });

  it("round-trips presets and custom ranges", () => {
    expect(parseRange(new URLSearchParams("range=7d"))).toEqual({ kind: "preset", preset: "7d" });
    const custom = parseRange(
      new URLSearchParams("range=custom&from=2026-01-01T00:00:00.000Z&to=2026-01-02T00:00:00.000Z"),
    );
    expect(custom.kind).toBe("custom");
    const q = rangeToQuery(custom);
    expect(parseRange(new URLSearchParams(q as Record<string, string>))).toEqual(custom);
  });

  it("accepts epoch milliseconds and falls back on nonsense", () => {
    const r = parseRange(new URLSearchParams("range=custom&from=1000&to=2000"));
    expect(r).toEqual({ kind: "custom", from: new Date(1000), to: new Date(2000) });
    expect(parseRange(new URLSearchParams("range=custom&from=2000&to=1000")).kind).toBe("preset");
    expect(parseRange(new URLSearchParams("range=custom&from=x&to=y")).kind).toBe("preset");
    expect(parseRange(new URLSearchParams("range=5y"))).toEqual({ kind: "preset", preset: "24h" });
  });

  it("resolves relative ranges against now", () => {
    const now = Date.UTC(2026, 0, 10);
    const { from, to } = resolveRange({ kind: "preset", preset: "1h" }, now);
    expect(to.getTime()).toBe(now);
    expect(now - from.getTime()).toBe(3_600_000);
  });
});
