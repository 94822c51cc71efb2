import { SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol";
import { type Register, registerOf } from "../shared/hll.js";
import { BaseRollupDeltas, rollupKeyOf } from "../shared/rollup-deltas.js";
import { floorTo, HOUR_MS } from "../time.js";
import type { JsonObject } from "../types.js";
import { byOrder, components, inOrder } from "./order.js";
import { placementOf, statelessSessionId } from "./placement.js";
import { emptyProfile, mergeProfile } from "./profile.js";
import {
  appendDraft,
  buildDraft,
  type Draft,
  isToolCall,
  type Member,
  sortEvents,
  toolOf,
} from "./session.js";
import type {
  DeriveEvent,
  DeriveSource,
  LinkedEvent,
  Links,
  Profile,
  SessionState,
  UserDelta,
  UserState,
  WriteSet,
} from "./types.js";

const GAP = SESSION_IDLE_TIMEOUT_MS;

export interface ProjectRef {
  pk: number;
  /** The public id: stateless session ids are derived from it. */
  id: string;
}

/** A user the chunk touches: stored (loaded) or created by it. */
interface UserEntry extends Profile {
  pk: number;
  userId: string;
  stored: boolean;
  /** Known only as a stored session's user: key and id, no profile (it names no event here). */
  partial: boolean;
  profileChanged: boolean;
  register?: Register;
  /** Its counters' delta, once it has one (writeSet). */
  delta?: UserDelta;
  /** The newest event of the identity its events repeat, not merged into the profile yet. */
  identity?: { e: DeriveEvent; name: string | null; data: JsonObject | null } | undefined;
}

/**
 * Derives one project's events (any order; typically a chunk read after the cursor) against the
 * stored state of the keys they touch, and returns what to write. The result is a function of the
 * set of events stored so far, never of the order they arrived in (see session.ts and
 * placement.ts for the rules). Most events take the fast path — appended to a session they come
 * after, contributions added — and only a session that an event lands inside of, before, or
 * between (or whose identity or client it changes) is rebuilt from its stored events.
 */
export async function deriveProject(
  project: ProjectRef,
  events: DeriveEvent[],
  source: DeriveSource,
): Promise<WriteSet> {
  // Each event's session id or group key (placement.ts), by index: no object per event.
  const placements: string[] = new Array(events.length);
  const grouped: boolean[] = new Array(events.length);
  const sessionIds = new Set<string>();
  const groupSpans = new Map<string, { from: number; to: number }>();
  const actorIds = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as DeriveEvent;
    if (e.actorId !== null) actorIds.add(e.actorId);
    // A stateful event's placement is its session id (placementOf's first case, without its object).
    const at = e.sessionId !== null ? null : placementOf(project.id, e);
    grouped[i] = at?.kind === "group";
    if (at === null || at.kind === "session") {
      placements[i] = at === null ? (e.sessionId as string) : at.sessionId;
      sessionIds.add(placements[i] as string);
    } else {
      placements[i] = at.key;
      const span = groupSpans.get(at.key);
      if (span) {
        span.from = Math.min(span.from, e.ts - GAP);
        span.to = Math.max(span.to, e.ts + GAP);
      } else groupSpans.set(at.key, { from: e.ts - GAP, to: e.ts + GAP });
    }
  }
  const state = await source.loadState(project.pk, {
    userIds: [...actorIds],
    sessionIds: [...sessionIds],
    groups: [...groupSpans].map(([key, span]) => ({ key, ...span })),
  });

  // Events of an erased user or session, older than the erasure, are dropped, never derived.
  const dropped: number[] = [];
  const byId = new Map<string, DeriveEvent[]>();
  const byGroup = new Map<string, DeriveEvent[]>();
  const erasures = state.erasedUsers.size + state.erasedSessions.size > 0;
  let lastEventAt: number | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as DeriveEvent;
    if (erasures) {
      const erasedUser = e.actorId === null ? undefined : state.erasedUsers.get(e.actorId);
      const erasedSession = e.sessionId === null ? undefined : state.erasedSessions.get(e.sessionId);
      if (
        (erasedUser !== undefined && e.ts <= erasedUser) ||
        (erasedSession !== undefined && e.ts <= erasedSession)
      ) {
        dropped.push(e.pk);
        continue;
      }
    }
    lastEventAt = Math.max(lastEventAt ?? e.ts, e.ts);
    const map = grouped[i] ? byGroup : byId;
    const key = placements[i] as string;
    const list = map.get(key);
    if (list) list.push(e);
    else map.set(key, [e]);
  }

  const storedById = new Map<string, SessionState>();
  const storedByGroup = new Map<string, SessionState[]>();
  for (const s of state.sessions) {
    storedById.set(s.sessionId, s);
    if (s.groupKey !== null) {
      const list = storedByGroup.get(s.groupKey) ?? [];
      if (!list.some((x) => x.pk === s.pk)) list.push(s);
      storedByGroup.set(s.groupKey, list);
    }
  }

  // Decide each session's path; rebuilds need their stored events.
  const drafts: Draft[] = [];
  const rebuilds: {
    stored: SessionState[];
    added: DeriveEvent[];
    groupKey: string | null;
    sessionId?: string;
  }[] = [];
  for (const [sessionId, list] of byId) {
    const added = inOrder(list);
    const stored = storedById.get(sessionId);
    if (!stored)
      drafts.push(
        fresh(
          added.map((e) => ({ e, old: null, userId: null })),
          { sessionId, groupKey: null },
        ),
      );
    else {
      const appended = appendDraft(stored, added);
      if (appended) drafts.push(appended);
      else rebuilds.push({ stored: [stored], added, groupKey: null, sessionId });
    }
  }
  for (const [key, list] of byGroup) {
    const added = inOrder(list);
    const overlapping = (storedByGroup.get(key) ?? []).filter((s) =>
      added.some((e) => s.lastSeen >= e.ts - GAP && s.firstSeen <= e.ts + GAP),
    );
    const parts = components(added, GAP, (e) => e.ts);
    if (overlapping.length === 0) {
      for (const part of parts) drafts.push(freshGroup(project.id, key, part));
      continue;
    }
    const only = overlapping.length === 1 ? (overlapping[0] as SessionState) : null;
    const appended = only ? appendDraft(only, parts[0] as DeriveEvent[]) : null;
    if (appended) {
      drafts.push(appended);
      for (const part of parts.slice(1)) drafts.push(freshGroup(project.id, key, part));
    } else rebuilds.push({ stored: overlapping, added, groupKey: key });
  }

  const users = new Map<string, UserEntry>();
  const remember = (u: UserState) =>
    users.set(u.userId, { ...u, stored: true, partial: false, profileChanged: false });
  for (const u of state.users) remember(u);
  // A stored session's user may name no event of the chunk (calls without identity, appended).
  for (const s of state.sessions)
    if (s.userId !== null && s.userPk !== null && !users.has(s.userId))
      users.set(s.userId, {
        pk: s.userPk,
        userId: s.userId,
        ...emptyProfile(),
        stored: true,
        partial: true,
        profileChanged: false,
      });

  if (rebuilds.length > 0) {
    const storedEvents = await source.loadSessionEvents(rebuilds.flatMap((r) => r.stored.map((s) => s.pk)));
    const bySession = new Map<number, LinkedEvent[]>();
    for (const e of storedEvents) {
      const list = bySession.get(e.sessionPk) ?? [];
      list.push(e);
      bySession.set(e.sessionPk, list);
    }
    const missing = new Set<string>();
    for (const e of storedEvents)
      if (e.actorId !== null && (users.get(e.actorId)?.partial ?? true)) missing.add(e.actorId);
    if (missing.size > 0) {
      const more = await source.loadState(project.pk, { userIds: [...missing], sessionIds: [], groups: [] });
      for (const u of more.users) remember(u);
    }
    for (const rebuild of rebuilds) drafts.push(...rebuilt(project.id, rebuild, bySession));
  }

  // Users named by the chunk's events (or by rebuilt sessions' events) that are not stored yet.
  for (const draft of drafts)
    for (const m of draft.members)
      if (m.e.actorId !== null && !users.has(m.e.actorId))
        users.set(m.e.actorId, {
          pk: 0,
          userId: m.e.actorId,
          ...emptyProfile(),
          stored: false,
          partial: false,
          profileChanged: true,
        });
  const newUsers = [...users.values()].filter((u) => !u.stored);
  const newSessions = drafts.filter((d) => d.pk === null);
  const keys = await source.allocate(newUsers.length, newSessions.length);
  newUsers.forEach((u, i) => {
    u.pk = keys.users[i] as number;
  });
  newSessions.forEach((d, i) => {
    d.pk = keys.sessions[i] as number;
  });

  return writeSet(project.pk, drafts, users, dropped, lastEventAt);
}

function fresh(sorted: Member[], identity: { sessionId: string; groupKey: string | null }): Draft {
  // Added to the built draft, not spread into a new object (cheaper for an object this wide).
  return Object.assign(buildDraft(sorted, identity), {
    pk: null,
    base: null,
    replaced: [],
    mode: "fresh" as const,
  });
}

function freshGroup(projectId: string, key: string, part: DeriveEvent[]): Draft {
  const first = part[0] as DeriveEvent;
  return fresh(
    part.map((e) => ({ e, old: null, userId: null })),
    { sessionId: statelessSessionId(projectId, first.id), groupKey: key },
  );
}

/**
 * Rebuilds stored sessions with new events from all of their events. A group's sessions may
 * merge (never split: adding events only joins components); the result keeps the key of the
 * stored session with its id, else of the earliest, and the others are deleted.
 */
function rebuilt(
  projectId: string,
  rebuild: { stored: SessionState[]; added: DeriveEvent[]; groupKey: string | null; sessionId?: string },
  bySession: Map<number, LinkedEvent[]>,
): Draft[] {
  const all: Member[] = rebuild.added.map((e) => ({ e, old: null, userId: null }));
  for (const s of rebuild.stored)
    for (const e of bySession.get(s.pk) ?? [])
      all.push({ e, old: { sessionPk: e.sessionPk, userPk: e.userPk }, userId: null });
  sortEvents(all);
  const parts = rebuild.groupKey === null ? [all] : components(all, GAP, (m) => m.e.ts);
  const drafts: Draft[] = [];
  const kept = new Set<SessionState>();
  for (const part of parts) {
    const first = part[0] as (typeof part)[0];
    const sessionId = rebuild.sessionId ?? statelessSessionId(projectId, first.e.id);
    const built = buildDraft(part, { sessionId, groupKey: rebuild.groupKey });
    const pks = new Set(part.flatMap((m) => (m.old ? [m.old.sessionPk] : [])));
    const stored = rebuild.stored
      .filter((s) => pks.has(s.pk))
      .sort((a, b) => a.firstSeen - b.firstSeen || a.pk - b.pk);
    const base = stored.find((s) => s.sessionId === sessionId) ?? stored[0] ?? null;
    for (const s of stored) kept.add(s);
    drafts.push(
      Object.assign(built, {
        // A session named by id keeps its stored row even if none of its events were read back
        // (all of them erased).
        pk: base?.pk ?? (rebuild.groupKey === null ? (rebuild.stored[0]?.pk ?? null) : null),
        base: base ?? (rebuild.groupKey === null ? (rebuild.stored[0] ?? null) : null),
        replaced: stored.filter((s) => s !== base),
        mode: "rebuild" as const,
      }),
    );
  }
  // A stored session none of whose events were read back (all erased meanwhile) goes.
  const first = drafts[0];
  if (first && rebuild.groupKey !== null)
    for (const s of rebuild.stored) if (!kept.has(s)) first.replaced.push(s);
  return drafts;
}

/** Turns the chunk's drafts into rows and deltas, keys resolved. */
function writeSet(
  projectPk: number,
  drafts: Draft[],
  users: Map<string, UserEntry>,
  dropped: number[],
  lastEventAt: number | null,
): WriteSet {
  const out: WriteSet = {
    projectPk,
    links: { fresh: emptyLinks(), moved: emptyLinks() },
    droppedEvents: dropped,
    sessions: { insert: [], update: [], delete: [] },
    sessionTools: [],
    users: { insert: [], update: [] },
    rollups: new BaseRollupDeltas(),
    errors: { occurrences: [], sessionLinks: [], userLinks: [] },
    recompute: { users: [], sketchHours: [] },
    lastEventAt,
  };
  const deltas = new Map<number, UserDelta>();
  const delta = (pk: number): UserDelta => {
    let d = deltas.get(pk);
    if (!d) {
      d = {
        pk,
        firstSeen: null,
        lastSeen: null,
        sessions: 0,
        toolCalls: 0,
        errors: 0,
        events: 0,
        profile: null,
      };
      deltas.set(pk, d);
    }
    return d;
  };
  // Consecutive members mostly name the same user: the last one looked up is kept.
  let lastId: string | null = null;
  let lastEntry: UserEntry | null = null;
  const entryOf = (userId: string | null): UserEntry | null => {
    if (userId === null) return null;
    if (userId !== lastId) {
      lastId = userId;
      lastEntry = users.get(userId) as UserEntry;
    }
    return lastEntry;
  };
  const userPkOf = (userId: string | null): number | null => entryOf(userId)?.pk ?? null;
  const lost = new Set<number>();
  const sketchHours = new Map<string, { tool: string; hour: number }>();

  for (const draft of drafts) {
    const pk = draft.pk as number;
    const row = {
      pk,
      sessionId: draft.sessionId,
      groupKey: draft.groupKey,
      userPk: userPkOf(draft.userId),
      clientName: draft.clientName,
      clientVersion: draft.clientVersion,
      serverName: draft.serverName,
      serverVersion: draft.serverVersion,
      firstSeen: draft.firstSeen,
      lastSeen: draft.lastSeen,
      events: draft.events,
      toolCalls: draft.toolCalls,
      errors: draft.errors,
      stateless: draft.stateless,
    };
    if (draft.base) out.sessions.update.push(row);
    else out.sessions.insert.push(row);
    out.rollups.session(draft.base ? rollupKeyOf(draft.base) : null, rollupKeyOf(row));
    for (const r of draft.replaced) {
      out.sessions.delete.push(r.pk);
      out.rollups.session(rollupKeyOf(r), null);
    }
    // Each draft is one session row: its tools are a set of their own (a few: a list).
    const tools: string[] = [];
    const addTool = (tool: string) => {
      if (tools.includes(tool)) return;
      tools.push(tool);
      out.sessionTools.push({ sessionPk: pk, tool });
    };
    // Only a rebuilt session's members have stored links, to stored sessions.
    const storedClients = new Map<number, SessionState>();
    if (draft.mode === "rebuild")
      for (const s of [...(draft.base ? [draft.base] : []), ...draft.replaced]) storedClients.set(s.pk, s);

    // A user counts the sessions holding an event attributed to them (mostly one user a session:
    // a set only once a second one shows).
    if (draft.mode !== "append") {
      let before: Map<number, Set<number>> | null = null;
      let only: number | null = null;
      let after: Set<number> | null = null;
      for (const m of draft.members) {
        const userPk = userPkOf(m.userId);
        if (userPk !== null && userPk !== only) {
          if (only === null) only = userPk;
          else {
            after ??= new Set([only]);
            after.add(userPk);
          }
        }
        if (m.old?.userPk != null) {
          before ??= new Map();
          const set = before.get(m.old.sessionPk) ?? new Set();
          set.add(m.old.userPk);
          before.set(m.old.sessionPk, set);
        }
      }
      if (after) for (const userPk of after) delta(userPk).sessions++;
      else if (only !== null) delta(only).sessions++;
      if (before) for (const set of before.values()) for (const userPk of set) delta(userPk).sessions--;
    }

    for (const m of draft.members) {
      const e = m.e;
      const user = entryOf(m.userId);
      const userPk = user === null ? null : user.pk;
      if (e.actorId !== null) {
        const actor = e.actorId === m.userId ? (user as UserEntry) : (users.get(e.actorId) as UserEntry);
        if (actor.partial) throw new Error(`derivation: the profile of user ${actor.userId} was not loaded`);
        identify(actor, e);
      }
      let gains = user !== null;
      if (m.old === null) {
        pushLink(out.links.fresh, e, pk, userPk);
        if (isToolCall(e)) {
          out.rollups.toolCall(floorTo(e.ts, HOUR_MS), toolOf(e), e.isError, e.duration);
          addTool(toolOf(e));
        }
        if (e.errorKey)
          out.errors.occurrences.push({
            key: e.errorKey,
            ts: e.ts,
            eventPk: e.pk,
            eventId: e.id,
            sessionPk: pk,
            userPk,
          });
      } else {
        const oldSession = storedClients.get(m.old.sessionPk);
        const clientMoved =
          oldSession !== undefined &&
          (oldSession.clientName !== draft.clientName || oldSession.clientVersion !== draft.clientVersion);
        if (m.old.sessionPk !== pk || m.old.userPk !== userPk) pushLink(out.links.moved, e, pk, userPk);
        if (m.old.sessionPk !== pk) {
          if (isToolCall(e)) addTool(toolOf(e));
          if (e.errorKey) out.errors.sessionLinks.push({ key: e.errorKey, sessionPk: pk });
        }
        if (m.old.userPk !== null && (m.old.userPk !== userPk || clientMoved)) {
          lost.add(m.old.userPk);
          if (isToolCall(e)) {
            const hour = floorTo(e.ts, HOUR_MS);
            sketchHours.set(`${hour}\u0000${toolOf(e)}`, { tool: toolOf(e), hour });
          }
        }
        // Its user already counts it unless it moved to them (a client move is recomputed).
        gains = user !== null && m.old.userPk !== userPk;
        if (gains && e.errorKey) out.errors.userLinks.push({ key: e.errorKey, userPk: userPk as number });
      }
      if (!gains || !user) continue;
      user.delta ??= delta(user.pk);
      const d = user.delta;
      d.events++;
      if (e.isError) d.errors++;
      d.firstSeen = Math.min(d.firstSeen ?? e.ts, e.ts);
      d.lastSeen = Math.max(d.lastSeen ?? e.ts, e.ts);
      if (isToolCall(e)) {
        d.toolCalls++;
        out.rollups.userTool(user.pk, toolOf(e), 1, e.isError ? 1 : 0, e.ts, e.ts);
        user.register ??= registerOf(user.userId);
        out.rollups.toolUser(e.ts, toolOf(e), user.register);
      }
      if (draft.clientName !== null)
        out.rollups.userClient(user.pk, draft.clientName, draft.clientVersion, e.ts, e.ts);
    }
  }

  for (const user of users.values()) {
    if (user.identity) mergeIdentity(user);
    if (!user.stored) {
      const d = deltas.get(user.pk);
      out.users.insert.push({
        pk: user.pk,
        userId: user.userId,
        userName: user.userName,
        userData: user.userData,
        clock: user.clock,
        firstSeen: d?.firstSeen ?? 0,
        lastSeen: d?.lastSeen ?? 0,
        sessions: d?.sessions ?? 0,
        toolCalls: d?.toolCalls ?? 0,
        errors: d?.errors ?? 0,
        events: d?.events ?? 0,
      });
      deltas.delete(user.pk);
    } else if (user.profileChanged) {
      delta(user.pk).profile = { userName: user.userName, userData: user.userData, clock: user.clock };
    }
  }
  out.users.update = [...deltas.values()].sort((a, b) => a.pk - b.pk);
  out.recompute = { users: [...lost].sort((a, b) => a - b), sketchHours: [...sketchHours.values()] };
  return out;
}

const emptyLinks = (): Links => ({ eventPks: [], sessionPks: [], userPks: [], ts: [] });

function pushLink(links: Links, e: DeriveEvent, sessionPk: number, userPk: number | null): void {
  links.eventPks.push(e.pk);
  links.sessionPks.push(sessionPk);
  links.userPks.push(userPk);
  links.ts.push(e.ts);
}

/**
 * Notes an event's identity for its user's profile. Its user's events mostly repeat one name and
 * one data object (shared per chunk by the backends' reads), and merging the newest of them gives
 * the profile merging all of them would (each field takes its newest event's value): so one
 * candidate per run of the same name and data is kept, and merged once the run ends.
 */
function identify(user: UserEntry, e: DeriveEvent): void {
  const pending = user.identity;
  if (pending && pending.name === e.actorName && pending.data === e.actorData) {
    if (byOrder(e, pending.e) > 0) pending.e = e;
    return;
  }
  if (pending) mergeIdentity(user);
  user.identity = { e, name: e.actorName, data: e.actorData };
}

function mergeIdentity(user: UserEntry): void {
  const pending = user.identity;
  if (!pending) return;
  user.identity = undefined;
  if (mergeProfile(user, pending.e, pending.name, pending.data)) user.profileChanged = true;
}
