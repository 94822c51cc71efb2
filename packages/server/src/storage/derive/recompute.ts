import { emptyRegisters, encodeSketch, registerOf } from "../shared/hll.js";
import { DAY_MS, floorTo, HOUR_MS } from "../time.js";
import { isToolCall, toolOf } from "./session.js";
import type { ErrorKey, RecomputeSource } from "./types.js";

/** A user's rows computed from every event attributed to them (absolute values). */
export interface UserTotals {
  pk: number;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
  tools: { tool: string; calls: number; errors: number; first: number; last: number }[];
  clients: { name: string; version: string; first: number; last: number }[];
  errorKeys: ErrorKey[];
}

/**
 * Recomputes users from their attributed events: what a user who lost events (to another user,
 * or to another client of their session) is rewritten with, after the chunk's links are written.
 * A user left without events keeps a row of zeros (it cannot happen through derivation alone).
 */
export async function recomputeUsers(source: RecomputeSource, userPks: number[]): Promise<UserTotals[]> {
  if (userPks.length === 0) return [];
  const totals = new Map<number, UserTotals & { sessionSet: Set<number> }>();
  for (const pk of userPks)
    totals.set(pk, {
      pk,
      firstSeen: Number.POSITIVE_INFINITY,
      lastSeen: Number.NEGATIVE_INFINITY,
      sessions: 0,
      toolCalls: 0,
      errors: 0,
      events: 0,
      tools: [],
      clients: [],
      errorKeys: [],
      sessionSet: new Set(),
    });
  const tools = new Map<string, UserTotals["tools"][0]>();
  const clients = new Map<string, UserTotals["clients"][0]>();
  const errorKeys = new Map<string, ErrorKey>();
  for (const e of await source.loadUserEvents(userPks)) {
    const t = totals.get(e.userPk as number);
    if (!t) continue;
    t.events++;
    t.firstSeen = Math.min(t.firstSeen, e.ts);
    t.lastSeen = Math.max(t.lastSeen, e.ts);
    t.sessionSet.add(e.sessionPk);
    if (e.isError) t.errors++;
    if (isToolCall(e)) {
      t.toolCalls++;
      const key = `${t.pk}\u0000${toolOf(e)}`;
      const row = tools.get(key);
      if (!row) {
        const fresh = { tool: toolOf(e), calls: 1, errors: e.isError ? 1 : 0, first: e.ts, last: e.ts };
        tools.set(key, fresh);
        t.tools.push(fresh);
      } else {
        row.calls++;
        if (e.isError) row.errors++;
        row.first = Math.min(row.first, e.ts);
        row.last = Math.max(row.last, e.ts);
      }
    }
    if (e.sessionClientName !== null) {
      const version = e.sessionClientVersion ?? "";
      const key = `${t.pk}\u0000${e.sessionClientName}\u0000${version}`;
      const row = clients.get(key);
      if (!row) {
        const fresh = { name: e.sessionClientName, version, first: e.ts, last: e.ts };
        clients.set(key, fresh);
        t.clients.push(fresh);
      } else {
        row.first = Math.min(row.first, e.ts);
        row.last = Math.max(row.last, e.ts);
      }
    }
    if (e.errorKey) {
      const key = `${t.pk}\u0000${e.errorKey.tool}\u0000${e.errorKey.message}`;
      if (!errorKeys.has(key)) {
        errorKeys.set(key, e.errorKey);
        t.errorKeys.push(e.errorKey);
      }
    }
  }
  return [...totals.values()].map(({ sessionSet, ...t }) => ({
    ...t,
    sessions: sessionSet.size,
    firstSeen: Number.isFinite(t.firstSeen) ? t.firstSeen : 0,
    lastSeen: Number.isFinite(t.lastSeen) ? t.lastSeen : 0,
  }));
}

/** A distinct-user sketch rebuilt from events; `sketch` null when no identified call is left. */
export interface SketchRow {
  start: number;
  tool: string;
  sketch: Buffer | null;
}

/**
 * Rebuilds the hour and day sketches of (tool, hour) pairs from the attributed calls: registers
 * cannot forget a user, so a sketch whose user lost calls is built again.
 */
export async function recomputeSketches(
  source: RecomputeSource,
  projectPk: number,
  keys: { tool: string; hour: number }[],
): Promise<{ hours: SketchRow[]; days: SketchRow[] }> {
  const build = async (tool: string, start: number, size: number): Promise<SketchRow> => {
    const userIds = await source.loadToolCallUsers(projectPk, tool, start, start + size);
    if (userIds.length === 0) return { start, tool, sketch: null };
    const registers = emptyRegisters();
    for (const id of userIds) {
      const { index, rank } = registerOf(id);
      if ((registers[index] as number) < rank) registers[index] = rank;
    }
    return { start, tool, sketch: encodeSketch(registers) };
  };
  const hours = new Map<string, { tool: string; start: number }>();
  const days = new Map<string, { tool: string; start: number }>();
  for (const { tool, hour } of keys) {
    hours.set(`${hour}\u0000${tool}`, { tool, start: floorTo(hour, HOUR_MS) });
    const day = floorTo(hour, DAY_MS);
    days.set(`${day}\u0000${tool}`, { tool, start: day });
  }
  return {
    hours: await Promise.all([...hours.values()].map((k) => build(k.tool, k.start, HOUR_MS))),
    days: await Promise.all([...days.values()].map((k) => build(k.tool, k.start, DAY_MS))),
  };
}
