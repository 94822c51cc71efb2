import { describe, expect, it } from "vitest";
import { errorDataOf, errorDataOfResult } from "./error-data.js";

describe("errorDataOf", () => {
  it("records class, message and stack, and a code the way Node prints it", () => {
    expect(errorDataOf(new RangeError("too far"))).toMatchObject({ type: "RangeError", message: "too far" });
    const coded = Object.assign(new Error("gone"), { code: "ENOENT" });
    expect(errorDataOf(coded)).toMatchObject({ type: "Error [ENOENT]", message: "gone" });
    expect(errorDataOf(coded).stack).toMatch(/^Error: gone\n\s+at /);
    class HttpError extends Error {
      code = 503;
    }
    expect(errorDataOf(new HttpError("unavailable")).type).toBe("HttpError [503]");
  });

  it("ends the stack with the chain of causes, Error or not", () => {
    const error = new Error("top", { cause: new TypeError("middle", { cause: { reason: "disk" } }) });
    const stack = errorDataOf(error).stack ?? "";
    expect(stack).toMatch(/^Error: top\n\s+at /);
    expect(stack).toMatch(/\nCaused by: TypeError: middle\n\s+at /);
    expect(stack.endsWith('\nCaused by: {"reason":"disk"}')).toBe(true);
    expect(errorDataOf(new Error("a", { cause: "plain words" })).stack).toMatch(/\nCaused by: plain words$/);
  });

  it("stops at five causes and at a cycle", () => {
    let deep = new Error("cause 7");
    for (let i = 6; i >= 0; i--) deep = new Error(`cause ${i}`, { cause: deep });
    const stack = errorDataOf(deep).stack ?? "";
    expect(stack.match(/Caused by: /g)).toHaveLength(5);
    expect(stack).toContain("Caused by: Error: cause 5");
    expect(stack).not.toContain("cause 6");

    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorDataOf(a).stack?.match(/Caused by: /g)).toHaveLength(1);
  });

  it("reads plain objects: message (or their JSON), type or name, code", () => {
    expect(errorDataOf({ message: "m", code: "ERR_001" })).toEqual({ message: "m", type: "ERR_001" });
    expect(errorDataOf({ message: "m", name: "AbortError" })).toEqual({ message: "m", type: "AbortError" });
    expect(errorDataOf({ message: "m", type: "T", code: 7 })).toEqual({ message: "m", type: "T [7]" });
    expect(errorDataOf({ code: "ONLY" })).toEqual({ message: '{"code":"ONLY"}', type: "ONLY" });
    expect(errorDataOf({ message: "m", stack: "s" })).toEqual({ message: "m", stack: "s" });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorDataOf(cyclic)).toEqual({ message: "[object Object]" });
  });

  it("reads anything else as its string", () => {
    expect(errorDataOf("boom")).toEqual({ message: "boom" });
    expect(errorDataOf(42)).toEqual({ message: "42" });
    expect(errorDataOf(undefined)).toEqual({ message: "undefined" });
  });
});

describe("errorDataOfResult", () => {
  it("uses the result's text content as the message", () => {
    expect(errorDataOfResult({ isError: true, content: [{ type: "text", text: "no" }] })).toEqual({
      message: "no",
      type: "ToolResultError",
    });
  });
});
