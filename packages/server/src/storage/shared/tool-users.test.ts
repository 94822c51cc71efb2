import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../time.js";
import { addValue, decodeSketch, emptyRegisters, encodeSketch } from "./hll.js";
import { encodeDelta, estimateByTool, mergeDelta, sketchSpans, ToolUserDeltas } from "./tool-users.js";

const D0 = Date.parse("2026-11-20T00:00:00.000Z");

describe("sketchSpans", () => {
  it("reads hours only when the range covers no whole day", () => {
    expect(sketchSpans({ from: D0 + 90 * 60_000, to: D0 + 5 * HOUR_MS + 1 })).toEqual({
      days: null,
      hours: [[D0 + HOUR_MS, D0 + 6 * HOUR_MS]],
    });
  });

  it("reads whole days from the day sketches and the hours around them", () => {
    const from = D0 + 20 * HOUR_MS + 5;
    const to = D0 + 3 * DAY_MS + 2 * HOUR_MS;
    expect(sketchSpans({ from, to })).toEqual({
      days: [D0 + DAY_MS, D0 + 3 * DAY_MS],
      hours: [
        [D0 + 20 * HOUR_MS, D0 + DAY_MS],
        [D0 + 3 * DAY_MS, D0 + 3 * DAY_MS + 2 * HOUR_MS],
      ],
    });
    expect(sketchSpans({ from: D0, to: D0 + DAY_MS })).toEqual({ days: [D0, D0 + DAY_MS], hours: [] });
  });
});

describe("ToolUserDeltas", () => {
  it("collects users per tool per hour and per day, and the merged estimate counts each once", () => {
    const deltas = new ToolUserDeltas();
    deltas.add(D0 + 10, "search", "alice");
    deltas.add(D0 + HOUR_MS + 10, "search", "alice");
    deltas.add(D0 + HOUR_MS + 20, "search", "bob");
    deltas.add(D0 + 30, "fetch", "bob");
    const { hours, days } = deltas.entries();
    expect(hours.map((h) => [h.start - D0, h.tool])).toEqual([
      [0, "fetch"],
      [0, "search"],
      [HOUR_MS, "search"],
    ]);
    expect(days.map((d) => d.tool)).toEqual(["fetch", "search"]);
    const rows = hours.map((h) => ({ tool: h.tool, sketch: encodeDelta(h.ranks) }));
    expect(estimateByTool(rows)).toEqual(
      new Map([
        ["fetch", 1],
        ["search", 2],
      ]),
    );
    // Hour 0 then hour 1 merged into one stored sketch equals the day's delta.
    const stored = mergeDelta(null, hours[1]?.ranks ?? new Map());
    expect(decodeSketch(mergeDelta(stored, hours[2]?.ranks ?? new Map()))).toEqual(
      decodeSketch(encodeDelta(days[1]?.ranks ?? new Map())),
    );
  });

  it("merges into sparse and dense stored sketches, and reports no change as null", () => {
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u${from + i}`);
    const sketch = (list: string[]) => {
      const registers = emptyRegisters();
      for (const id of list) addValue(registers, id);
      return registers;
    };
    const deltaOf = (list: string[]) => {
      const d = new ToolUserDeltas();
      for (const id of list) d.add(D0, "t", id);
      return d.entries().hours[0]?.ranks ?? new Map();
    };
    for (const [storedIds, newIds] of [
      [ids(0, 100), ids(50, 300)],
      [ids(0, 5000), ids(4000, 6000)],
      [ids(0, 500), ids(500, 4000)],
    ] as const) {
      const stored = encodeSketch(sketch(storedIds));
      const merged = mergeDelta(stored, deltaOf(newIds));
      expect(merged).toEqual(encodeSketch(sketch([...storedIds, ...newIds])));
      expect(mergeDelta(merged, deltaOf(newIds.slice(0, 50)))).toBeNull();
    }
    expect(encodeDelta(deltaOf(ids(0, 3000)))).toEqual(encodeSketch(sketch(ids(0, 3000))));
  });
});
