import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatEventType,
  formatOffset,
  formatPercent,
  formatRelative,
  shortId,
} from "./format";

describe("formatters", () => {
  it("formats durations at every scale", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(0.4)).toBe("<1 ms");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(2 * 3_600_000 + 4 * 60_000)).toBe("2 h 4 min");
    expect(formatDuration(26 * 3_600_000)).toBe("1 d 2 h");
  });

  it("formats percentages without hiding tiny non-zero rates", () => {
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0.0072)).toBe("0.7%");
    expect(formatPercent(0.00001)).toBe("<0.1%");
  });

  it("formats session offsets", () => {
    expect(formatOffset(0)).toBe("+0.000 s");
    expect(formatOffset(1500)).toBe("+1.500 s");
    expect(formatOffset(185_120)).toBe("+3:05.120");
    expect(formatOffset(3_725_000)).toBe("+1:02:05.000");
  });

  it("formats relative times", () => {
    const now = Date.UTC(2026, 0, 10, 12);
    expect(formatRelative(new Date(now - 10_000), now)).toBe("just now");
    expect(formatRelative(new Date(now - 5 * 60_000), now)).toBe("5 min ago");
    expect(formatRelative(new Date(now - 3 * 3_600_000).toISOString(), now)).toBe("3 h ago");
    expect(formatRelative(null, now)).toBe("–");
  });

  it("names event types and shortens ids", () => {
    expect(formatEventType("mcp:tools/call")).toBe("tools/call");
    expect(formatEventType("mcpsight:identify")).toBe("identify");
    expect(shortId("short")).toBe("short");
    expect(shortId("ses_0123456789abcdefghijklmnop")).toBe("ses_0123…ijklmnop");
  });
});
