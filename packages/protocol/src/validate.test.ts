import { describe, expect, it } from "vitest";
import { LIMITS } from "./constants.js";
import { truncateText } from "./text.js";
import { validateBatch, validateEvent } from "./validate.js";

const event = (parameters: unknown) => ({
  id: "e1",
  projectId: "p1",
  sessionId: "s1",
  eventType: "mcp:tools/call",
  timestamp: "2026-11-27T10:00:00.000Z",
  parameters,
});
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe("event size", () => {
  it("measures events near the limit exactly (multi-byte and escaped characters)", () => {
    // Both bounds are above the limit, so these are serialized and measured.
    const accented = event({ text: "é".repeat(60_000) }); // ~120 KB: accepted
    expect(validateEvent(accented).ok).toBe(true);
    const escaped = event({ text: "\u0001".repeat(40_000) }); // ~240 KB of \u0001: accepted
    expect(bytesOf(escaped)).toBeLessThan(LIMITS.eventBytes);
    expect(validateEvent(escaped).ok).toBe(true);
    const over = event({ text: "\u0001".repeat(44_000) });
    const result = validateEvent(over);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: "(event)",
          reason: `is ${bytesOf(over)} bytes; the limit is ${LIMITS.eventBytes}`,
        },
      ],
    });
  });

  it("measures values that are not plain JSON data by serializing them", () => {
    expect(validateEvent(event({ at: new Date(0), list: [undefined, 1] })).ok).toBe(true);
    expect(() => validateEvent(event({ n: 1n }))).toThrow(TypeError);
  });

  it("reports each problem of a bad tag key", () => {
    const result = validateBatch({ events: [{ ...event(undefined), tags: { "": "x" } }] });
    expect(result.ok && result.value.rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [0, "invalid_event", "tags."],
      [0, "invalid_event", "tags."],
    ]);
  });
});

describe("truncateText", () => {
  it("cuts to the limit with the marker, never splitting a surrogate pair", () => {
    const cut = truncateText("x".repeat(100), 40);
    expect(cut).toBe(`${"x".repeat(19)}…[truncated 60 chars]`);
    expect(cut).toHaveLength(40);
    expect(truncateText("short", 40)).toBe("short");
    // The unit before the marker would be the first half of an emoji: it goes too.
    const emoji = `${"x".repeat(18)}😀${"y".repeat(30)}`;
    expect(truncateText(emoji, 40)).toBe(`${"x".repeat(18)}…[truncated 10 chars]`);
  });
});
