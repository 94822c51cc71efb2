import { SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol";
import { byOrder, placementOf, statelessSessionId } from "../../src/storage/derive/index.js";
import type { DeriveEvent } from "../../src/storage/derive/types.js";
import { bucketOf } from "../../src/storage/histogram.js";
import { emptyRegisters, registerOf } from "../../src/storage/shared/hll.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../src/storage/time.js";
import { emptyProjection, k, normalize, type Projection, registerList } from "./projection.js";

/**
 * The derivation rules written as plainly as possible, from the whole set of events at once (no
 * stored state, no fast path): what every store must hold once it has derived `events`. Kept
 * independent of the engine on purpose; only the placement of an event (a pure function of its
 * own fields) and the order are shared.
 */
export function referenceProjection(projectId: string, input: DeriveEvent[]): Projection {
  const events = [...input].sort(byOrder);
  // Sessions: by id, or a stateless group split where gaps exceed the idle timeout.
  const sessionOf = new Map<DeriveEvent, string>();
  const grouped = new Map<string, DeriveEvent[]>();
  for (const e of events) {
    const at = placementOf(projectId, e);
    if (at.kind === "session") sessionOf.set(e, at.sessionId);
    else grouped.set(at.key, [...(grouped.get(at.key) ?? []), e]);
  }
  for (const list of grouped.values()) {
    let id = "";
    let last = Number.NEGATIVE_INFINITY;
    for (const e of list) {
      if (e.ts - last > SESSION_IDLE_TIMEOUT_MS) id = statelessSessionId(projectId, e.id);
      last = e.ts;
      sessionOf.set(e, id);
    }
  }
  const sessions = new Map<string, DeriveEvent[]>();
  for (const e of events) {
    const id = sessionOf.get(e) as string;
    sessions.set(id, [...(sessions.get(id) ?? []), e]);
  }

  const p = emptyProjection();
  const userOf = new Map<DeriveEvent, string | null>();
  const clientOf = new Map<DeriveEvent, [string | null, string | null]>();
  for (const [sessionId, list] of sessions) {
    const firstUser = list.find((e) => e.actorId !== null)?.actorId ?? null;
    let current: string | null = null;
    for (const e of list) {
      if (e.actorId !== null) current = e.actorId;
      userOf.set(e, current ?? firstUser);
    }
    const first = <K extends keyof DeriveEvent>(field: K) =>
      (list.find((e) => e[field] !== null)?.[field] ?? null) as DeriveEvent[K] | null;
    const clientName = first("clientName") as string | null;
    const clientVersion = first("clientVersion") as string | null;
    for (const e of list) clientOf.set(e, [clientName, clientVersion]);
    const head = list[0] as DeriveEvent;
    p.sessions[sessionId] = {
      userId: current,
      clientName,
      clientVersion,
      serverName: first("serverName") as string | null,
      serverVersion: first("serverVersion") as string | null,
      firstSeen: head.ts,
      lastSeen: (list.at(-1) as DeriveEvent).ts,
      events: list.length,
      toolCalls: list.filter(isCall).length,
      errors: list.filter((e) => e.isError).length,
      stateless: head.sessionId === null || head.stateless,
      tools: [...new Set(list.filter(isCall).map(toolOf))],
    };
    const hour = floorTo(head.ts, HOUR_MS);
    const sh = p.sessionHours[hour] ?? { sessions: 0, identified: 0 };
    sh.sessions++;
    if (current !== null) sh.identified++;
    p.sessionHours[hour] = sh;
    const ch = k(hour, clientName ?? "", clientVersion ?? "");
    p.clientHours[ch] = (p.clientHours[ch] ?? 0) + 1;
  }

  const sketches = new Map<string, Uint8Array>();
  const sketch = (key: string, userId: string) => {
    const registers = sketches.get(key) ?? emptyRegisters();
    const { index, rank } = registerOf(userId);
    if ((registers[index] as number) < rank) registers[index] = rank;
    sketches.set(key, registers);
  };
  for (const e of events) {
    const userId = userOf.get(e) ?? null;
    const sessionId = sessionOf.get(e) as string;
    p.links[e.id] = [sessionId, userId];
    const hour = floorTo(e.ts, HOUR_MS);
    if (isCall(e)) {
      const th = p.toolHours[k(hour, toolOf(e))] ?? { calls: 0, errors: 0, histogram: {} };
      th.calls++;
      if (e.isError) th.errors++;
      if (e.duration !== null) {
        const bucket = String(bucketOf(e.duration));
        th.histogram[bucket] = (th.histogram[bucket] ?? 0) + 1;
      }
      p.toolHours[k(hour, toolOf(e))] = th;
    }
    if (e.errorKey) {
      const key = k(e.errorKey.tool, e.errorKey.message);
      const g = p.errors[key] ?? {
        first: e.ts,
        last: e.ts,
        sample: e.id,
        users: [],
        sessions: [],
        hours: {},
      };
      g.first = Math.min(g.first, e.ts);
      g.last = Math.max(g.last, e.ts);
      g.sample = e.id; // events are sorted: the last one seen is the latest
      if (userId !== null && !g.users.includes(userId)) g.users.push(userId);
      if (!g.sessions.includes(sessionId)) g.sessions.push(sessionId);
      g.hours[hour] = (g.hours[hour] ?? 0) + 1;
      p.errors[key] = g;
    }
    if (userId === null) continue;
    const u = p.users[userId] ?? {
      userName: null,
      userData: null,
      firstSeen: e.ts,
      lastSeen: e.ts,
      sessions: 0,
      toolCalls: 0,
      errors: 0,
      events: 0,
    };
    u.firstSeen = Math.min(u.firstSeen, e.ts);
    u.lastSeen = Math.max(u.lastSeen, e.ts);
    u.events++;
    if (e.isError) u.errors++;
    if (isCall(e)) u.toolCalls++;
    p.users[userId] = u;
    if (isCall(e)) {
      const ut = p.userTools[k(userId, toolOf(e))] ?? { calls: 0, errors: 0, first: e.ts, last: e.ts };
      ut.calls++;
      if (e.isError) ut.errors++;
      ut.first = Math.min(ut.first, e.ts);
      ut.last = Math.max(ut.last, e.ts);
      p.userTools[k(userId, toolOf(e))] = ut;
      sketch(k("h", hour, toolOf(e)), userId);
      sketch(k("d", floorTo(e.ts, DAY_MS), toolOf(e)), userId);
    }
    const [clientName, clientVersion] = clientOf.get(e) as [string | null, string | null];
    if (clientName !== null) {
      const key = k(userId, clientName, clientVersion ?? "");
      const uc = p.userClients[key] ?? { first: e.ts, last: e.ts };
      uc.first = Math.min(uc.first, e.ts);
      uc.last = Math.max(uc.last, e.ts);
      p.userClients[key] = uc;
    }
  }
  for (const [userId, u] of Object.entries(p.users)) {
    u.sessions = [...sessions.values()].filter((list) => list.some((e) => userOf.get(e) === userId)).length;
    // Profile: the newest non-empty name; per data key, the value of the newest event setting it.
    const own = events.filter((e) => e.actorId === userId);
    u.userName = own.filter((e) => e.actorName).at(-1)?.actorName ?? null;
    const data: Record<string, unknown> = {};
    for (const e of own) Object.assign(data, e.actorData ?? {});
    u.userData = Object.keys(data).length > 0 ? data : null;
  }
  for (const [key, registers] of sketches) p.sketches[key] = registerList(registers);
  return normalize(p);
}

const isCall = (e: DeriveEvent) => e.type === "mcp:tools/call";
const toolOf = (e: DeriveEvent) => e.tool || "(unknown)";
