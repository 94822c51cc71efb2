import type { BaseRollupDeltas } from "../shared/rollup-deltas.js";
import type { JsonObject } from "../types.js";

/** What an error is grouped by (shared/error-key.ts). */
export interface ErrorKey {
  tool: string;
  message: string;
}

/**
 * A stored event as derivation reads it: the facts it was sent with, nothing derived. Backends
 * build it from their events table (`toDeriveEvent` in shared/derive-event.ts).
 */
export interface DeriveEvent {
  /** The event store's key: cursor order, never reused. */
  pk: number;
  id: string;
  ts: number;
  type: string;
  tool: string | null;
  duration: number | null;
  isError: boolean;
  /** Set for errors only. */
  errorKey: ErrorKey | null;
  /** The stateful session id as sent; null for stateless events. */
  sessionId: string | null;
  stateless: boolean;
  correlationId: string | null;
  /** `identifyActorGivenId`, `identifyActorName`, `identifyActorData` as sent. */
  actorId: string | null;
  actorName: string | null;
  actorData: JsonObject | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
}

/** A derived event with the session and user it is linked to now (`event_links`). */
export interface LinkedEvent extends DeriveEvent {
  sessionPk: number;
  userPk: number | null;
}

/** A stored session row, as the pass loads it. */
export interface SessionState {
  pk: number;
  sessionId: string;
  /** Stateless group (placement.ts), or null for a session named by its id. */
  groupKey: string | null;
  userPk: number | null;
  /** The public id of `userPk` (joined). */
  userId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  firstSeen: number;
  lastSeen: number;
  events: number;
  toolCalls: number;
  errors: number;
  stateless: boolean;
}

/** When a profile field was set: the (timestamp, event id) of the event that set it. */
export type Stamp = [ts: number, id: string];

/** Which event set the name and each key of the data, so a merge is the same in any order. */
export interface ProfileClock {
  name: Stamp | null;
  data: Record<string, Stamp>;
}

export interface Profile {
  userName: string | null;
  userData: JsonObject | null;
  clock: ProfileClock;
}

/** A stored user as the pass loads it: its key and profile (counters are written as deltas). */
export interface UserState extends Profile {
  pk: number;
  userId: string;
}

/** What the pass needs to know about the keys a chunk touches. */
export interface StateRequest {
  userIds: string[];
  sessionIds: string[];
  /** Stateless groups: sessions of the group overlapping `[from, to]`. */
  groups: { key: string; from: number; to: number }[];
}

export interface LoadedState {
  users: UserState[];
  sessions: SessionState[];
  /** Erased users and stateful sessions (by public id) → erasure time. */
  erasedUsers: Map<string, number>;
  erasedSessions: Map<string, number>;
}

/**
 * The reads derivation makes, implemented by each backend inside the pass's transaction. Ids
 * are public ids; keys (`pk`) are the backend's.
 */
export interface DeriveSource {
  loadState(projectPk: number, request: StateRequest): Promise<LoadedState>;
  /** Every derived event of these sessions, with its current links. */
  loadSessionEvents(sessionPks: number[]): Promise<LinkedEvent[]>;
  /** Keys for new rows (never handed out twice). */
  allocate(users: number, sessions: number): Promise<{ users: number[]; sessions: number[] }>;
}

/**
 * Reads for the recomputations that follow a chunk's writes (recompute.ts), which must see them:
 * implemented on the same transaction, after `WriteSet` is applied.
 */
export interface RecomputeSource {
  /** Every event linked to one of `userPks`, with the client of the session it is linked to. */
  loadUserEvents(
    userPks: number[],
  ): Promise<(LinkedEvent & { sessionClientName: string | null; sessionClientVersion: string | null })[]>;
  /** The public ids of users with an attributed call of `tool` in `[from, to)`. */
  loadToolCallUsers(projectPk: number, tool: string, from: number, to: number): Promise<string[]>;
}

/** A session row to insert or rewrite (absolute values). */
export interface SessionRow extends Omit<SessionState, "userId"> {}

/** A new user: profile and counters (absolute). */
export interface UserRow extends Profile {
  pk: number;
  userId: string;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
}

/**
 * What a chunk adds to a stored user: counters (which may be negative), first/last seen as a
 * min/max, and the profile when it changed.
 */
export interface UserDelta {
  pk: number;
  firstSeen: number | null;
  lastSeen: number | null;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
  profile: Profile | null;
}

/** One newly derived error occurrence. */
export interface ErrorOccurrence {
  key: ErrorKey;
  ts: number;
  eventPk: number;
  eventId: string;
  sessionPk: number;
  userPk: number | null;
}

/** Links of events to their session and user (`event_links`), as columns: one entry per event. */
export interface Links {
  eventPks: number[];
  sessionPks: number[];
  userPks: (number | null)[];
  ts: number[];
}

/**
 * Everything a chunk writes for one project; the backend applies it and the new cursor in one
 * transaction. Keys are final (allocated through the source).
 */
export interface WriteSet {
  projectPk: number;
  /**
   * New and changed links of events to their session and user: `fresh` for events derived the
   * first time (no stored link yet), `moved` for events with a stored link (a rebuilt session's).
   */
  links: { fresh: Links; moved: Links };
  /** Events the pass drops instead of deriving (their user or session was erased). */
  droppedEvents: number[];
  sessions: { insert: SessionRow[]; update: SessionRow[]; delete: number[] };
  /** (session, tool) pairs to add (a set). */
  sessionTools: { sessionPk: number; tool: string }[];
  users: { insert: UserRow[]; update: UserDelta[] };
  /** Tool hours, duration histograms, user tools and clients, session and client hours, sketches. */
  rollups: BaseRollupDeltas;
  errors: {
    occurrences: ErrorOccurrence[];
    /** Links of stored occurrences to the sessions and users they now belong to (sets). */
    sessionLinks: { key: ErrorKey; sessionPk: number }[];
    userLinks: { key: ErrorKey; userPk: number }[];
  };
  /**
   * Users who lost events to another user or client: their rows, tools, clients and error links
   * are recomputed from their events after this write (recompute.ts), as are the distinct-user
   * sketches of the (tool, hour) their calls fell in.
   */
  recompute: { users: number[]; sketchHours: { tool: string; hour: number }[] };
  /** The newest event time in the chunk, or null. */
  lastEventAt: number | null;
}
