import { describe, expect, it } from "vitest";
import { FOLD_AT, foldString, preview, requestArguments, toPrettyJson } from "./json";

describe("JSON helpers", () => {
  it("previews containers by their shape", () => {
    expect(preview({ q: 1, limit: 2 })).toBe("{ q, limit }");
    expect(preview([1, 2, 3])).toBe("[3 items]");
    expect(preview({})).toBe("{}");
    expect(preview("a\nb")).toBe('"a b"');
  });

  it("folds long strings and leaves short ones alone", () => {
    expect(foldString("abc")).toEqual({ head: "abc", hidden: 0 });
    const long = "x".repeat(FOLD_AT + 50);
    expect(foldString(long)).toEqual({ head: "x".repeat(FOLD_AT), hidden: 50 });
  });

  it("never throws when printing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(typeof toPrettyJson(cyclic)).toBe("string");
    expect(toPrettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});

describe("requestArguments", () => {
  it("unwraps { name, arguments } when the name is the event's tool", () => {
    expect(requestArguments({ name: "search", arguments: { q: 1 } }, "search")).toEqual({ q: 1 });
    expect(requestArguments({ name: "search" }, "search")).toEqual({ name: "search" });
    expect(requestArguments({ name: "other", arguments: {} }, "search")).toEqual({
      name: "other",
      arguments: {},
    });
    expect(requestArguments({ protocolVersion: "x" }, null)).toEqual({ protocolVersion: "x" });
    expect(requestArguments(null, "search")).toBeNull();
  });
});
