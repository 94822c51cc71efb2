import { eventSchema } from "@mcpsight/protocol";
import { describe, expect, it } from "vitest";
import { CLIENT_FIELD_BYTES, fitBytes, numberText, storableEvent, storableParam } from "./text.js";

const base = {
  id: "e1",
  projectId: "p",
  sessionId: "s",
  eventType: "mcp:tools/call",
  timestamp: "2026-11-28T10:00:00.000Z",
};

describe("text PostgreSQL can store", () => {
  it("writes numbers as String() does", () => {
    const numbers = [
      0,
      -1,
      1e9 - 1,
      1e9,
      1e9 + 1,
      1733326000000,
      2 ** 31,
      2 ** 53 - 1,
      2 ** 53,
      2 ** 60,
      -1e12,
    ];
    numbers.push(0.5, 1e21, 123456789.5, Number.NaN, Number.POSITIVE_INFINITY, -0);
    for (let k = 1; k < 1e8; k *= 7)
      for (const m of [1e9, 1e12, 1e15]) numbers.push(m * k, m * k - 1, m * k + 1);
    for (let high = 1e7; high < 9e7; high += 12_345_678)
      for (const low of [0, 1, 99_999_999, 5e7]) numbers.push(high * 1e8 + low);
    for (const n of numbers) expect(numberText(n), String(n)).toBe(String(n));
  });

  it("cuts text to a number of UTF-8 bytes at a character", () => {
    expect(fitBytes("abc", 3)).toBe("abc");
    expect(fitBytes("a".repeat(2000), 1200)).toBe("a".repeat(1200));
    for (const unit of ["é", "工", "😀"]) {
      const text = `x${unit.repeat(600)}`;
      for (const max of [1, 2, 3, 4, 5, 100, 1199, 1200]) {
        const cut = fitBytes(text, max);
        expect(Buffer.byteLength(cut), `${unit} ${max}`).toBeLessThanOrEqual(max);
        expect(text.startsWith(cut)).toBe(true);
        expect(cut.isWellFormed()).toBe(true);
        // As long as fits: one more character would not.
        const next = text.slice(0, cut.length + unit.length);
        expect(Buffer.byteLength(next)).toBeGreaterThan(max);
      }
    }
  });

  it("returns an event that needs nothing as it is, and leaves JSON payloads alone", () => {
    const plain = eventSchema.parse({ ...base, parameters: { q: "a\u0000" }, response: "\ud83d" });
    expect(storableEvent(plain)).toBe(plain);
    const odd = eventSchema.parse({
      ...base,
      userIntent: "x\u0000",
      parameters: "\u0000",
      clientName: "工".repeat(512),
      error: { message: "\udc00m" },
    });
    const stored = storableEvent(odd);
    expect(stored).not.toBe(odd);
    expect(odd.userIntent).toBe("x\u0000"); // the input is not modified
    expect(stored).toMatchObject({
      userIntent: "x\ufffd",
      parameters: "\u0000",
      error: { message: "\ufffdm" },
    });
    expect(Buffer.byteLength(stored.clientName as string)).toBeLessThanOrEqual(CLIENT_FIELD_BYTES);
  });

  it("replaces NULs in statement parameters, strings and arrays of them", () => {
    expect(storableParam("a\u0000b")).toBe("a\ufffdb");
    expect(storableParam(["a", "b\u0000", null, 3])).toEqual(["a", "b\ufffd", null, 3]);
    const clean = ["a", "b"];
    expect(storableParam(clean)).toBe(clean);
    expect(storableParam(7)).toBe(7);
  });
});
