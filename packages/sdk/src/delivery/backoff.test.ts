import { afterEach, describe, expect, it, vi } from "vitest";
import { Backoff, backoffDelay, parseRetryAfter } from "./backoff.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("backoffDelay", () => {
  it("stays within [0, min(cap, base·2^attempt))", () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt, 100, 5000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(5000, 100 * 2 ** attempt));
    }
  });
});

describe("Backoff with its defaults (what delivery uses)", () => {
  it("starts at 500 ms and never waits 5 s or more, however long the outage", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const backoff = new Backoff();
    const delays = Array.from({ length: 50 }, () => backoff.failed());
    expect(delays.slice(0, 5)).toEqual([499, 999, 1999, 3999, 4999]);
    expect(Math.max(...delays)).toBe(4999);
  });

  it("honours Retry-After up to 30 s", () => {
    const backoff = new Backoff();
    expect(backoff.failed(12_000)).toBe(12_000);
    expect(backoff.failed(parseRetryAfter("3600"))).toBe(30_000);
  });

  it("starts over after a success", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const backoff = new Backoff();
    for (let i = 0; i < 10; i++) backoff.failed();
    expect(backoff.failures).toBe(10);
    backoff.succeeded();
    expect(backoff.failures).toBe(0);
    expect(backoff.failed()).toBe(499);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
  });

  it("ignores absent or invalid values and caps long ones at 30 s", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("999999")).toBe(30_000);
    expect(parseRetryAfter("31")).toBe(30_000);
  });
});
