import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../time.js";
import { decodeSketch } from "./hll.js";
import { estimateByTool, mergedSketch, sketchSpans, ToolUserDeltas } from "./tool-users.js";

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
    const rows = hours.map((h) => ({ tool: h.tool, sketch: mergedSketch(null, h.registers) }));
    expect(estimateByTool(rows)).toEqual(
      new Map([
        ["fetch", 1],
        ["search", 2],
      ]),
    );
    const stored = mergedSketch(null, hours[1]?.registers as Uint8Array);
    expect(decodeSketch(mergedSketch(stored, hours[2]?.registers as Uint8Array))).toEqual(
      decodeSketch(mergedSketch(null, days[1]?.registers as Uint8Array)),
    );
  });
});
