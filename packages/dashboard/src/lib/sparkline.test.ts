import { describe, expect, it } from "vitest";
import { sparkPath } from "./sparkline";

describe("sparkPath", () => {
  it("scales the maximum to the top and zero to the bottom", () => {
    expect(sparkPath([], 100, 20)).toBe("");
    expect(sparkPath([0, 10], 100, 20)).toBe("M0.0,19.0 L100.0,1.0");
    expect(sparkPath([5], 100, 20)).toBe("M50.0,1.0");
  });
});
