import { describe, expect, it } from "vitest";
import {
  addValue,
  decodeSketch,
  emptyRegisters,
  encodeSketch,
  estimate,
  HLL_REGISTERS,
  mergeEncoded,
  murmur3,
  registerOf,
} from "./hll.js";

const sketchOf = (ids: Iterable<string>) => {
  const registers = emptyRegisters();
  for (const id of ids) addValue(registers, id);
  return registers;
};
const range = (from: number, to: number, prefix = "user_") =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe("murmur3", () => {
  it("matches the reference vectors", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(murmur3(bytes(""), 0)).toBe(0);
    expect(murmur3(bytes(""), 1)).toBe(0x514e28b7);
    expect(murmur3(bytes("a"), 0x9747b28c)).toBe(0x7fa09ea6);
    expect(murmur3(bytes("abcd"), 0x9747b28c)).toBe(0xf0478627);
    expect(murmur3(bytes("Hello, world!"), 0x9747b28c)).toBe(0x24884cba);
  });
});

describe("HyperLogLog", () => {
  it("hashes to a register and a rank in range, the same every time", () => {
    for (const id of range(0, 1000)) {
      const { index, rank } = registerOf(id);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(HLL_REGISTERS);
      expect(rank).toBeGreaterThanOrEqual(1);
      expect(rank).toBeLessThanOrEqual(53);
    }
    expect(registerOf("ünïcode ✓")).toEqual(registerOf("ünïcode ✓"));
  });

  it("counts small sets exactly and ignores repeats", () => {
    expect(estimate(emptyRegisters())).toBe(0);
    expect(Math.round(estimate(sketchOf(["alice"])))).toBe(1);
    expect(Math.round(estimate(sketchOf(["alice", "bob", "alice", "bob"])))).toBe(2);
    expect(Math.round(estimate(sketchOf(range(0, 50))))).toBe(50);
  });

  it("estimates within 3 standard errors (±5 %) from hundreds to a million", () => {
    for (const n of [500, 3_000, 10_000, 30_000, 100_000, 1_000_000]) {
      const error = estimate(sketchOf(range(0, n))) / n - 1;
      expect(Math.abs(error), `n = ${n}`).toBeLessThan(0.05);
    }
  });

  it("unions by register max: merged sketches estimate the union, overlaps counted once", () => {
    const a = sketchOf(range(0, 20_000));
    const b = sketchOf(range(10_000, 40_000));
    const merged = emptyRegisters();
    mergeEncoded(merged, encodeSketch(a));
    mergeEncoded(merged, encodeSketch(b));
    expect(merged).toEqual(sketchOf(range(0, 40_000)));
    expect(Math.abs(estimate(merged) / 40_000 - 1)).toBeLessThan(0.05);
  });

  it("encodes sparse when small and dense when full, and decodes both to the same registers", () => {
    expect(encodeSketch(emptyRegisters())).toHaveLength(0);
    const small = sketchOf(range(0, 100));
    const sparse = encodeSketch(small);
    expect(sparse.length).toBeLessThan(HLL_REGISTERS);
    expect(sparse.length % 3).toBe(0);
    expect(decodeSketch(sparse)).toEqual(small);
    const large = sketchOf(range(0, 20_000));
    const dense = encodeSketch(large);
    expect(dense).toHaveLength(HLL_REGISTERS);
    expect(decodeSketch(dense)).toEqual(large);
    expect(() => decodeSketch(new Uint8Array(4))).toThrow(/not a sketch/);
  });
});
