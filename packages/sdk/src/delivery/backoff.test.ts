import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter } from "./backoff.js";

describe("backoffDelay", () => {
  it("stays within [0, min(cap, base·2^attempt))", () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt, 100, 5000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(5000, 100 * 2 ** attempt));
    }
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
  });

  it("ignores absent or invalid values and caps huge ones", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("999999")).toBe(5 * 60 * 1000);
  });
});
