import { DAY_MS, floorTo, HOUR_MS } from "../time.js";
import type { TimeRange } from "../types.js";
import { addValue, emptyRegisters, encodeSketch, estimate, mergeEncoded } from "./hll.js";

/**
 * Distinct users per tool over a range, from HyperLogLog sketches (`hll.ts`) kept at ingest per
 * tool per hour (`tool_hour_users`) and per UTC day (`tool_day_users`). A range reads the day
 * sketches of the whole days it covers and the hour sketches of the hours around them, so a
 * 30-day range merges ~30 + 46 sketches per tool instead of 720.
 */
export interface SketchSpans {
  /** Whole days `[from, to)` read from the day sketches, or null. */
  days: [number, number] | null;
  /** Hour spans `[from, to)` read from the hour sketches. */
  hours: [number, number][];
}

/** The sketch rows covering the hours a range counts (every hour overlapping it, as elsewhere). */
export function sketchSpans(range: TimeRange): SketchSpans {
  const first = floorTo(range.from, HOUR_MS);
  const end = Math.ceil(range.to / HOUR_MS) * HOUR_MS;
  const dayFrom = Math.ceil(first / DAY_MS) * DAY_MS;
  const dayTo = floorTo(end, DAY_MS);
  if (dayFrom >= dayTo) return { days: null, hours: [[first, end]] };
  const hours: [number, number][] = [];
  if (first < dayFrom) hours.push([first, dayFrom]);
  if (dayTo < end) hours.push([dayTo, end]);
  return { days: [dayFrom, dayTo], hours };
}

/** Merges stored sketch rows per tool and returns the rounded estimates. */
export function estimateByTool(rows: Iterable<{ tool: string; sketch: Uint8Array }>): Map<string, number> {
  const merged = new Map<string, Uint8Array>();
  for (const row of rows) {
    let registers = merged.get(row.tool);
    if (!registers) {
      registers = emptyRegisters();
      merged.set(row.tool, registers);
    }
    mergeEncoded(registers, row.sketch);
  }
  return new Map([...merged].map(([tool, registers]) => [tool, Math.round(estimate(registers))]));
}

export interface SketchDelta {
  /** Hour or day start (epoch ms). */
  start: number;
  tool: string;
  registers: Uint8Array;
}

const SEP = "\u0000";
const byKey = (map: Map<string, SketchDelta>) =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);

/** A batch's additions to the hour and day sketches; merged into the stored rows at the end. */
export class ToolUserDeltas {
  private hours = new Map<string, SketchDelta>();
  private days = new Map<string, SketchDelta>();

  /** Records that `userId` called `tool` at `ts`. */
  add(ts: number, tool: string, userId: string): void {
    this.addTo(this.hours, floorTo(ts, HOUR_MS), tool, userId);
    this.addTo(this.days, floorTo(ts, DAY_MS), tool, userId);
  }

  private addTo(map: Map<string, SketchDelta>, start: number, tool: string, userId: string): void {
    const key = `${String(start).padStart(15, "0")}${SEP}${tool}`;
    let delta = map.get(key);
    if (!delta) {
      delta = { start, tool, registers: emptyRegisters() };
      map.set(key, delta);
    }
    addValue(delta.registers, userId);
  }

  get size(): number {
    return this.hours.size + this.days.size;
  }

  /** Hour and day deltas in key order (start, tool), so concurrent writers lock rows alike. */
  entries(): { hours: SketchDelta[]; days: SketchDelta[] } {
    return { hours: byKey(this.hours), days: byKey(this.days) };
  }

  clear(): void {
    this.hours.clear();
    this.days.clear();
  }
}

/** `stored` with `delta` merged in, in the canonical encoding. */
export function mergedSketch(stored: Uint8Array | null, delta: Uint8Array): Buffer {
  const registers = emptyRegisters();
  mergeEncoded(registers, stored);
  for (let i = 0; i < registers.length; i++) {
    const v = delta[i] as number;
    if (v > (registers[i] as number)) registers[i] = v;
  }
  return encodeSketch(registers);
}
