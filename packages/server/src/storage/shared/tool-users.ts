import { DAY_MS, floorTo, HOUR_MS } from "../time.js";
import type { TimeRange } from "../types.js";
import {
  decodeSketch,
  emptyRegisters,
  encodeSketch,
  estimate,
  HLL_REGISTERS,
  mergeEncoded,
  type Register,
  registerOf,
} from "./hll.js";
import { Lookup } from "./lookup.js";

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
  /** Register index → value, only the registers this batch sets (a batch touches few). */
  ranks: Map<number, number>;
}

const SEP = "\u0000";
const byKey = (map: Map<string, SketchDelta>) =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);

/** A batch's additions to the hour and day sketches; merged into the stored rows at the end. */
export class ToolUserDeltas {
  private hours = new Map<string, SketchDelta>();
  private days = new Map<string, SketchDelta>();
  private hourLookup = new Lookup<SketchDelta>();
  private dayLookup = new Lookup<SketchDelta>();

  /** Records that `userId` called `tool` at `ts`. */
  add(ts: number, tool: string, userId: string): void {
    this.addRegister(ts, tool, registerOf(userId));
  }

  /** {@link add} with the user's register computed once (`registerOf(userId)`) for many calls. */
  addRegister(ts: number, tool: string, { index, rank }: Register): void {
    this.addTo(this.hours, floorTo(ts, HOUR_MS), tool, index, rank);
    this.addTo(this.days, floorTo(ts, DAY_MS), tool, index, rank);
  }

  private addTo(
    map: Map<string, SketchDelta>,
    start: number,
    tool: string,
    index: number,
    rank: number,
  ): void {
    const lookup = map === this.hours ? this.hourLookup : this.dayLookup;
    let delta = lookup.get(start, tool);
    if (!delta) {
      delta = { start, tool, ranks: new Map() };
      map.set(`${String(start).padStart(15, "0")}${SEP}${tool}`, delta);
      lookup.set(start, tool, undefined, delta);
    }
    if ((delta.ranks.get(index) ?? 0) < rank) delta.ranks.set(index, rank);
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
    this.hourLookup = new Lookup();
    this.dayLookup = new Lookup();
  }
}

/** A delta in the stored encoding (what a new row holds, and what PostgreSQL merges). */
export function encodeDelta(ranks: Map<number, number>): Buffer {
  if (ranks.size * 3 >= HLL_REGISTERS) {
    const registers = emptyRegisters();
    for (const [index, rank] of ranks) registers[index] = rank;
    return Buffer.from(registers);
  }
  const out = Buffer.alloc(ranks.size * 3);
  let o = 0;
  for (const index of [...ranks.keys()].sort((a, b) => a - b)) {
    out[o] = index >> 8;
    out[o + 1] = index & 0xff;
    out[o + 2] = ranks.get(index) as number;
    o += 3;
  }
  return out;
}

/**
 * `stored` with the delta merged in (canonical encoding), or null when no register grows — then
 * the row need not be written. A dense sketch is copied and patched, not re-encoded.
 */
export function mergeDelta(stored: Uint8Array | null, ranks: Map<number, number>): Buffer | null {
  if (stored === null || stored.length === 0) return ranks.size === 0 ? null : encodeDelta(ranks);
  if (stored.length === HLL_REGISTERS) {
    let out: Buffer | null = null;
    for (const [index, rank] of ranks)
      if (rank > ((out ?? stored)[index] as number)) {
        out ??= Buffer.from(stored);
        out[index] = rank;
      }
    return out;
  }
  const registers = decodeSketch(stored);
  let changed = false;
  for (const [index, rank] of ranks)
    if (rank > (registers[index] as number)) {
      registers[index] = rank;
      changed = true;
    }
  return changed ? encodeSketch(registers) : null;
}
