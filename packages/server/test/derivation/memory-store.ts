import {
  byOrder,
  type DeriveEvent,
  type DeriveSource,
  deriveProject,
  type LinkedEvent,
  type LoadedState,
  type Profile,
  type RecomputeSource,
  recomputeSketches,
  recomputeUsers,
  type SessionRow,
  type StateRequest,
  type WriteSet,
} from "../../src/storage/derive/index.js";
import { addTo, type Histogram } from "../../src/storage/histogram.js";
import { decodeSketch, emptyRegisters } from "../../src/storage/shared/hll.js";
import { floorTo, HOUR_MS } from "../../src/storage/time.js";
import { emptyProjection, k, normalize, type Projection, registerList } from "./projection.js";

type Input = Omit<DeriveEvent, "pk">;

interface UserRecord extends Profile {
  pk: number;
  userId: string;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
}

interface ErrorRecord {
  tool: string;
  message: string;
  first: number;
  last: number;
  sample: { ts: number; id: string; pk: number } | null;
  hours: Map<number, number>;
  sessions: Set<number>;
  users: Set<number>;
}

const GAP_FREE = "\u0000";

/**
 * A store in memory with the tables of the real backends, which applies the engine's write sets
 * exactly as a backend's writer must: the database the engine's unit and property tests run
 * against, so that derivation is tested without one. One project.
 */
export class MemoryStore implements DeriveSource, RecomputeSource {
  readonly project = { pk: 1, id: "p1" };
  private events = new Map<number, DeriveEvent>();
  private eventIds = new Set<string>();
  private nextEventPk = 1;
  private cursor = 0;
  private links = new Map<number, { sessionPk: number; userPk: number | null; ts: number }>();
  private sessions = new Map<number, SessionRow>();
  private users = new Map<number, UserRecord>();
  private sessionTools = new Set<string>();
  private toolHours = new Map<
    string,
    { hour: number; tool: string; calls: number; errors: number; histogram: Histogram }
  >();
  private userTools = new Map<
    string,
    { userPk: number; tool: string; calls: number; errors: number; first: number; last: number }
  >();
  private userClients = new Map<
    string,
    { userPk: number; name: string; version: string; first: number; last: number }
  >();
  private sessionHours = new Map<number, { sessions: number; identified: number }>();
  private clientHours = new Map<string, { hour: number; name: string; version: string; sessions: number }>();
  private sketches = new Map<string, Uint8Array>();
  private errorGroups = new Map<string, ErrorRecord>();
  private nextUserPk = 1;
  private nextSessionPk = 1;
  readonly erasedUsers = new Map<string, number>();
  readonly erasedSessions = new Map<string, number>();
  /** Write sets applied so far, for tests that look at which path a chunk took. */
  readonly applied: WriteSet[] = [];
  /** How many times derivation read a session's stored events back (the slow path). */
  sessionReads = 0;

  /** Stores events, skipping ids already stored (a retried batch). Returns how many were new. */
  ingest(events: Input[]): number {
    let accepted = 0;
    for (const e of events) {
      if (this.eventIds.has(e.id)) continue;
      this.eventIds.add(e.id);
      const pk = this.nextEventPk++;
      this.events.set(pk, { ...e, pk });
      accepted++;
    }
    return accepted;
  }

  get pending(): number {
    let n = 0;
    for (const pk of this.events.keys()) if (pk > this.cursor) n++;
    return n;
  }

  /** Derives up to `limit` events after the cursor (one chunk); returns how many it read. */
  async derive(limit = Number.POSITIVE_INFINITY): Promise<number> {
    const chunk = [...this.events.values()].filter((e) => e.pk > this.cursor).slice(0, limit);
    if (chunk.length === 0) return 0;
    const ws = await deriveProject(this.project, chunk, this);
    this.apply(ws);
    this.applied.push(ws);
    const totals = await recomputeUsers(this, ws.recompute.users);
    for (const t of totals) {
      const u = this.users.get(t.pk) as UserRecord;
      Object.assign(u, {
        firstSeen: t.firstSeen,
        lastSeen: t.lastSeen,
        sessions: t.sessions,
        toolCalls: t.toolCalls,
        errors: t.errors,
        events: t.events,
      });
      for (const [key, row] of this.userTools) if (row.userPk === t.pk) this.userTools.delete(key);
      for (const row of t.tools) this.userTools.set(k(t.pk, row.tool), { userPk: t.pk, ...row });
      for (const [key, row] of this.userClients) if (row.userPk === t.pk) this.userClients.delete(key);
      for (const row of t.clients)
        this.userClients.set(k(t.pk, row.name, row.version), { userPk: t.pk, ...row });
      for (const group of this.errorGroups.values()) group.users.delete(t.pk);
      for (const key of t.errorKeys) this.errorGroups.get(k(key.tool, key.message))?.users.add(t.pk);
    }
    const sketches = await recomputeSketches(this, this.project.pk, ws.recompute.sketchHours);
    for (const [prefix, rows] of [
      ["h", sketches.hours],
      ["d", sketches.days],
    ] as const)
      for (const row of rows) {
        const key = k(prefix, row.start, row.tool);
        if (row.sketch) this.sketches.set(key, decodeSketch(row.sketch));
        else this.sketches.delete(key);
      }
    this.cursor = (chunk.at(-1) as DeriveEvent).pk;
    return chunk.length;
  }

  /** Derives everything pending, `chunk` events at a time. */
  async deriveAll(chunk = Number.POSITIVE_INFINITY): Promise<void> {
    while ((await this.derive(chunk)) > 0) {}
  }

  // DeriveSource

  async loadState(_projectPk: number, request: StateRequest): Promise<LoadedState> {
    const userIds = new Set(request.userIds);
    const sessionIds = new Set(request.sessionIds);
    const userById = new Map([...this.users.values()].map((u) => [u.userId, u]));
    const sessions = [...this.sessions.values()].filter(
      (s) =>
        sessionIds.has(s.sessionId) ||
        request.groups.some((g) => g.key === s.groupKey && s.lastSeen >= g.from && s.firstSeen <= g.to),
    );
    return {
      users: [...userIds].flatMap((id) => {
        const u = userById.get(id);
        return u
          ? [{ pk: u.pk, userId: u.userId, userName: u.userName, userData: u.userData, clock: u.clock }]
          : [];
      }),
      sessions: sessions.map((s) => ({
        ...s,
        userId: s.userPk === null ? null : (this.users.get(s.userPk) as UserRecord).userId,
      })),
      erasedUsers: new Map([...this.erasedUsers].filter(([id]) => userIds.has(id))),
      erasedSessions: new Map([...this.erasedSessions].filter(([id]) => sessionIds.has(id))),
    };
  }

  async loadSessionEvents(sessionPks: number[]): Promise<LinkedEvent[]> {
    this.sessionReads += sessionPks.length;
    const wanted = new Set(sessionPks);
    const out: LinkedEvent[] = [];
    for (const [pk, link] of this.links)
      if (wanted.has(link.sessionPk)) out.push({ ...(this.events.get(pk) as DeriveEvent), ...link });
    return out;
  }

  async allocate(users: number, sessions: number) {
    const take = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
    const out = { users: take(users, this.nextUserPk), sessions: take(sessions, this.nextSessionPk) };
    this.nextUserPk += users;
    this.nextSessionPk += sessions;
    return out;
  }

  // RecomputeSource

  async loadUserEvents(userPks: number[]) {
    const wanted = new Set(userPks);
    const out = [];
    for (const [pk, link] of this.links) {
      if (link.userPk === null || !wanted.has(link.userPk)) continue;
      const session = this.sessions.get(link.sessionPk) as SessionRow;
      out.push({
        ...(this.events.get(pk) as DeriveEvent),
        ...link,
        sessionClientName: session.clientName,
        sessionClientVersion: session.clientVersion,
      });
    }
    return out;
  }

  async loadToolCallUsers(_projectPk: number, tool: string, from: number, to: number): Promise<string[]> {
    const ids = new Set<string>();
    for (const [pk, link] of this.links) {
      const e = this.events.get(pk) as DeriveEvent;
      if (link.userPk === null || e.type !== "mcp:tools/call" || (e.tool || "(unknown)") !== tool) continue;
      if (e.ts >= from && e.ts < to) ids.add((this.users.get(link.userPk) as UserRecord).userId);
    }
    return [...ids];
  }

  // Applying a write set, as a backend does.

  private apply(ws: WriteSet): void {
    for (const pk of ws.droppedEvents) {
      this.events.delete(pk);
      this.links.delete(pk);
    }
    for (const l of [ws.links.fresh, ws.links.moved])
      for (const [i, pk] of l.eventPks.entries())
        this.links.set(pk, {
          sessionPk: l.sessionPks[i] as number,
          userPk: l.userPks[i] as number | null,
          ts: l.ts[i] as number,
        });
    for (const row of [...ws.sessions.insert, ...ws.sessions.update]) this.sessions.set(row.pk, { ...row });
    for (const pk of ws.sessions.delete) {
      this.sessions.delete(pk);
      for (const key of this.sessionTools)
        if (key.startsWith(`${pk}${GAP_FREE}`)) this.sessionTools.delete(key);
      for (const group of this.errorGroups.values()) group.sessions.delete(pk);
    }
    for (const { sessionPk, tool } of ws.sessionTools)
      this.sessionTools.add(`${sessionPk}${GAP_FREE}${tool}`);
    for (const u of ws.users.insert) this.users.set(u.pk, { ...u });
    for (const d of ws.users.update) {
      const u = this.users.get(d.pk) as UserRecord;
      u.events += d.events;
      u.toolCalls += d.toolCalls;
      u.errors += d.errors;
      u.sessions += d.sessions;
      if (d.firstSeen !== null) u.firstSeen = Math.min(u.firstSeen, d.firstSeen);
      if (d.lastSeen !== null) u.lastSeen = Math.max(u.lastSeen, d.lastSeen);
      if (d.profile) Object.assign(u, d.profile);
    }
    const r = ws.rollups;
    for (const d of r.tools.values()) {
      const key = k(d.hour, d.tool);
      const row = this.toolHours.get(key) ?? {
        hour: d.hour,
        tool: d.tool,
        calls: 0,
        errors: 0,
        histogram: {},
      };
      row.calls += d.calls;
      row.errors += d.errors;
      addTo(row.histogram, d.histogram);
      this.toolHours.set(key, row);
    }
    for (const d of r.userTools.values()) {
      const key = k(d.userPk, d.tool);
      const row = this.userTools.get(key);
      if (!row) this.userTools.set(key, { ...d });
      else {
        row.calls += d.calls;
        row.errors += d.errors;
        row.first = Math.min(row.first, d.first);
        row.last = Math.max(row.last, d.last);
      }
    }
    for (const d of r.userClients.values()) {
      const key = k(d.userPk, d.name, d.version);
      const row = this.userClients.get(key);
      if (!row) this.userClients.set(key, { ...d });
      else {
        row.first = Math.min(row.first, d.first);
        row.last = Math.max(row.last, d.last);
      }
    }
    for (const d of r.sessionHours.values()) {
      const row = this.sessionHours.get(d.hour) ?? { sessions: 0, identified: 0 };
      row.sessions += d.sessions;
      row.identified += d.identified;
      this.sessionHours.set(d.hour, row);
    }
    for (const d of r.clientHours.values()) {
      const key = k(d.hour, d.name, d.version);
      const row = this.clientHours.get(key) ?? { ...d, sessions: 0 };
      row.sessions += d.sessions;
      this.clientHours.set(key, row);
    }
    const { hours, days } = r.toolUsers.entries();
    for (const [prefix, list] of [
      ["h", hours],
      ["d", days],
    ] as const)
      for (const d of list) {
        const key = k(prefix, d.start, d.tool);
        const registers = this.sketches.get(key) ?? emptyRegisters();
        for (const [index, rank] of d.ranks) if ((registers[index] as number) < rank) registers[index] = rank;
        this.sketches.set(key, registers);
      }
    for (const o of ws.errors.occurrences) {
      const group = this.errorGroup(o.key);
      group.first = Math.min(group.first, o.ts);
      group.last = Math.max(group.last, o.ts);
      if (!group.sample || byOrder({ ts: o.ts, id: o.eventId }, group.sample) > 0)
        group.sample = { ts: o.ts, id: o.eventId, pk: o.eventPk };
      const hour = floorTo(o.ts, HOUR_MS);
      group.hours.set(hour, (group.hours.get(hour) ?? 0) + 1);
      group.sessions.add(o.sessionPk);
      if (o.userPk !== null) group.users.add(o.userPk);
    }
    for (const l of ws.errors.sessionLinks) this.errorGroup(l.key).sessions.add(l.sessionPk);
    for (const l of ws.errors.userLinks) this.errorGroup(l.key).users.add(l.userPk);
  }

  private errorGroup(key: { tool: string; message: string }): ErrorRecord {
    const id = k(key.tool, key.message);
    let group = this.errorGroups.get(id);
    if (!group) {
      group = {
        ...key,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
        sample: null,
        hours: new Map(),
        sessions: new Set(),
        users: new Set(),
      };
      this.errorGroups.set(id, group);
    }
    return group;
  }

  /** The derived state by public ids (projection.ts). */
  projection(): Projection {
    const p = emptyProjection();
    const userId = (pk: number | null) => (pk === null ? null : (this.users.get(pk) as UserRecord).userId);
    const sessionId = (pk: number) => (this.sessions.get(pk) as SessionRow).sessionId;
    for (const u of this.users.values())
      p.users[u.userId] = {
        userName: u.userName,
        userData: u.userData,
        firstSeen: u.firstSeen,
        lastSeen: u.lastSeen,
        sessions: u.sessions,
        toolCalls: u.toolCalls,
        errors: u.errors,
        events: u.events,
      };
    for (const s of this.sessions.values())
      p.sessions[s.sessionId] = {
        userId: userId(s.userPk),
        clientName: s.clientName,
        clientVersion: s.clientVersion,
        serverName: s.serverName,
        serverVersion: s.serverVersion,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
        events: s.events,
        toolCalls: s.toolCalls,
        errors: s.errors,
        stateless: s.stateless,
        tools: [],
      };
    for (const key of this.sessionTools) {
      const [pk, tool] = key.split(GAP_FREE) as [string, string];
      p.sessions[sessionId(Number(pk))]?.tools.push(tool);
    }
    for (const [pk, link] of this.links)
      p.links[(this.events.get(pk) as DeriveEvent).id] = [sessionId(link.sessionPk), userId(link.userPk)];
    for (const row of this.toolHours.values())
      p.toolHours[k(row.hour, row.tool)] = {
        calls: row.calls,
        errors: row.errors,
        histogram: Object.fromEntries(Object.entries(row.histogram).map(([b, n]) => [b, n])),
      };
    for (const row of this.userTools.values())
      p.userTools[k(userId(row.userPk), row.tool)] = {
        calls: row.calls,
        errors: row.errors,
        first: row.first,
        last: row.last,
      };
    for (const row of this.userClients.values())
      p.userClients[k(userId(row.userPk), row.name, row.version)] = { first: row.first, last: row.last };
    for (const [hour, row] of this.sessionHours) p.sessionHours[hour] = { ...row };
    for (const row of this.clientHours.values())
      p.clientHours[k(row.hour, row.name, row.version)] = row.sessions;
    for (const [key, registers] of this.sketches) p.sketches[key] = registerList(registers);
    for (const g of this.errorGroups.values())
      p.errors[k(g.tool, g.message)] = {
        first: g.first,
        last: g.last,
        sample: g.sample?.id ?? null,
        users: [...g.users].map((pk) => userId(pk) as string),
        sessions: [...g.sessions].map(sessionId),
        hours: Object.fromEntries(g.hours),
      };
    return normalize(p);
  }
}
