import { describe, expect, it } from "vitest";
import { IdentifyCache } from "./identify-cache.js";

describe("IdentifyCache", () => {
  it("returns entries until their TTL expires, anonymous included", () => {
    const cache = new IdentifyCache(1000);
    cache.set("a", { userId: "u" }, 0);
    cache.set("b", null, 0);
    expect(cache.get("a", 999)).toEqual({ userId: "u" });
    expect(cache.get("b", 999)).toBeNull();
    expect(cache.get("a", 1000)).toBeUndefined();
    expect(cache.get("missing", 0)).toBeUndefined();
  });

  it("evicts the oldest entry when full", () => {
    const cache = new IdentifyCache(1000, 2);
    cache.set("a", { userId: "a" }, 0);
    cache.set("b", { userId: "b" }, 0);
    cache.set("c", { userId: "c" }, 0);
    expect(cache.get("a", 1)).toBeUndefined();
    expect(cache.get("c", 1)).toEqual({ userId: "c" });
  });
});
