import { EVENT_TYPES } from "@mcpsight/protocol";
import { byOrder } from "./order.js";
import type { DeriveEvent, SessionState } from "./types.js";

/** An event of a session being derived, with the user it is attributed to. */
export interface Member {
  e: DeriveEvent;
  /** Attributed user (public id), or null while the session has no identification. */
  userId: string | null;
  /** Its current links when it was derived before (a rebuilt session); null for a new event. */
  old: { sessionPk: number; userPk: number | null } | null;
}

const CLIENT_FIELDS = ["clientName", "clientVersion", "serverName", "serverVersion"] as const;
type ClientFields = Pick<SessionState, (typeof CLIENT_FIELDS)[number]>;

/**
 * A session as this chunk leaves it. `members` are the events whose contributions the chunk
 * writes: every event of a built session, only the new ones of an appended one.
 */
export interface Draft extends ClientFields {
  pk: number | null;
  sessionId: string;
  groupKey: string | null;
  stateless: boolean;
  /** The user of its latest identified event. */
  userId: string | null;
  firstSeen: number;
  lastSeen: number;
  events: number;
  toolCalls: number;
  errors: number;
  members: Member[];
  /** The stored row this draft rewrites (its key is kept). */
  base: SessionState | null;
  /** Other stored rows merged into this one (deleted). */
  replaced: SessionState[];
  mode: "fresh" | "append" | "rebuild";
}

export const isToolCall = (e: DeriveEvent): boolean => e.type === EVENT_TYPES.toolsCall;
export const toolOf = (e: DeriveEvent): string => e.tool || "(unknown)";

/**
 * Derives a session from all of its events, sorted by `byOrder`:
 * - an event's user is the user of the latest identified event at or before it; events before
 *   the first identification get the first identified user; the session's user is the user of
 *   its latest identified event;
 * - each client/server field comes from the earliest event that has it;
 * - a session named by id is stateless when its earliest event says so; a group's always is.
 * `sorted` becomes the draft's members: each one's `userId` is set in place (one object per event).
 */
export function buildDraft(
  sorted: Member[],
  identity: { sessionId: string; groupKey: string | null },
): Omit<Draft, "pk" | "base" | "replaced" | "mode"> {
  const first = sorted[0];
  if (!first) throw new Error("a session needs at least one event");
  const firstUser = sorted.find((m) => m.e.actorId !== null)?.e.actorId ?? null;
  const fields: ClientFields = {
    clientName: null,
    clientVersion: null,
    serverName: null,
    serverVersion: null,
  };
  let current: string | null = null;
  let toolCalls = 0;
  let errors = 0;
  for (const m of sorted) {
    const e = m.e;
    if (e.actorId !== null) current = e.actorId;
    m.userId = current ?? firstUser;
    for (const field of CLIENT_FIELDS) if (fields[field] === null) fields[field] = e[field];
    if (isToolCall(e)) toolCalls++;
    if (e.isError) errors++;
  }
  return {
    sessionId: identity.sessionId,
    groupKey: identity.groupKey,
    stateless: identity.groupKey !== null || first.e.stateless,
    userId: current,
    ...fields,
    firstSeen: first.e.ts,
    lastSeen: (sorted.at(-1) as (typeof sorted)[0]).e.ts,
    events: sorted.length,
    toolCalls,
    errors,
    members: sorted,
  };
}

/**
 * The fast path: `added` (sorted) all come after the stored session's last event and leave every
 * stored event's user and client as they were — no identity other than the session's, and no
 * client field filled in. Then the session's rows only grow. Null when that does not hold.
 */
export function appendDraft(base: SessionState, added: DeriveEvent[]): Draft | null {
  const first = added[0];
  if (!first || first.ts <= base.lastSeen) return null;
  const fields: ClientFields = {
    clientName: base.clientName,
    clientVersion: base.clientVersion,
    serverName: base.serverName,
    serverVersion: base.serverVersion,
  };
  let toolCalls = 0;
  let errors = 0;
  for (const e of added) {
    if (e.actorId !== null && e.actorId !== base.userId) return null;
    for (const field of CLIENT_FIELDS) if (fields[field] === null) fields[field] = e[field];
    if (isToolCall(e)) toolCalls++;
    if (e.isError) errors++;
  }
  // The client is part of what a user's events count for (user_clients): filling it in moves
  // every stored event, which the full rebuild handles.
  if (fields.clientName !== base.clientName || fields.clientVersion !== base.clientVersion) return null;
  return {
    pk: base.pk,
    sessionId: base.sessionId,
    groupKey: base.groupKey,
    stateless: base.stateless,
    userId: base.userId,
    ...fields,
    firstSeen: base.firstSeen,
    lastSeen: (added.at(-1) as DeriveEvent).ts,
    events: base.events + added.length,
    toolCalls: base.toolCalls + toolCalls,
    errors: base.errors + errors,
    members: added.map((e) => ({ e, userId: base.userId, old: null })),
    base,
    replaced: [],
    mode: "append",
  };
}

export const sortEvents = <T extends { e: DeriveEvent }>(list: T[]): T[] =>
  list.sort((a, b) => byOrder(a.e, b.e));
