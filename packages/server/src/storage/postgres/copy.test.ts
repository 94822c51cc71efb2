import { describe, expect, it } from "vitest";
import { copyField } from "./copy.js";

describe("COPY text fields", () => {
  it("escapes the characters the format reads specially, and only them", () => {
    expect(copyField("plain ünïcode 😀 \\N-free")).toBe("plain ünïcode 😀 \\\\N-free");
    expect(copyField("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    expect(copyField("\\N")).toBe("\\\\N");
    expect(copyField("\\.")).toBe("\\\\.");
    expect(copyField("\u0001\b\f\v,{}\"'")).toBe("\u0001\b\f\v,{}\"'");
    expect(copyField("")).toBe("");
  });

  it("writes null as \\N, booleans as t and f, numbers as they read back", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField(undefined)).toBe("\\N");
    expect([copyField(true), copyField(false)]).toEqual(["t", "f"]);
    for (const value of [0, -0, 1764844800123, 0.1 + 0.2, 1.5e-7, 1e300, -2.5])
      expect(Number(copyField(value))).toBe(value === 0 ? 0 : value);
    expect([copyField(Number.NaN), copyField(Number.POSITIVE_INFINITY)]).toEqual(["\\N", "\\N"]);
    expect(() => copyField({})).toThrow(TypeError);
  });
});
