import { createHash } from "node:crypto";
import { EVENT_TYPES, type Event, SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol";
import { errorKeyOf, mergeProfile } from "../../shared/index.js";
import { rollupKeyOf, userRegister } from "../../shared/rollup-deltas.js";
import { floorTo, HOUR_MS } from "../../time.js";
import type { IngestResult, JsonObject } from "../../types.js";
import { all, type Defer, type Sql } from "../db.js";
import { attributeStoredEvents } from "./attribute.js";
import { type ErrorOccurrence, recordErrors } from "./errors.js";
import { RollupDeltas } from "./rollups.js";
import {
  byKey,
  type EventRecord,
  emptyUser,
  loadSessions,
  loadUsers,
  newUser,
  type SessionState,
  sessionFromRow,
  type UserState,
  userFromRow,
} from "./state.js";
import {
  insertEvents,
  insertUsers,
  saveProject,
  saveSessions,
  saveSessionTools,
  saveUsers,
} from "./write.js";

const sep = "\u0000";

const profileText = (u: UserState) => `${u.userName}${sep}${JSON.stringify(u.userData)}${sep}${u.profileAt}`;

/** The id of the session an anonymous, uncorrelated stateless event gets (derived from its id). */
const statelessSessionId = (projectId: string, eventId: string) =>
  `sl_${createHash("sha256").update(`${projectId}${sep}${eventId}`).digest("base64url").slice(0, 24)}`;

/**
 * The advisory-lock keys of an event: its session (by id, or its stateless group) and the user
 * it identifies. Every batch that could touch the same session or rewrite the same user profile
 * takes the same key, so their read-modify-write of those rows is serialised; a retried event
 * maps to the keys of its original, so its duplicate check is exact too.
 */
export function lockKeysOf(e: Event): string[] {
  const p = e.projectId;
  const keys: string[] = [];
  if (e.sessionId !== undefined) keys.push(`${p}${sep}s${sep}${e.sessionId}`);
  else if (e.identifyActorGivenId)
    keys.push(`${p}${sep}gu${sep}${e.identifyActorGivenId}${sep}${e.clientName ?? ""}`);
  else if (e.correlationId !== undefined)
    keys.push(`${p}${sep}gc${sep}${e.correlationId}${sep}${e.clientName ?? ""}`);
  else keys.push(`${p}${sep}s${sep}${statelessSessionId(p, e.id)}`);
  if (e.identifyActorGivenId) keys.push(`${p}${sep}u${sep}${e.identifyActorGivenId}`);
  return keys;
}

/** A key's 64-bit advisory-lock id (hashed here: keys may hold any characters, even NUL). */
const lockIdOf = (key: string): bigint => createHash("sha256").update(key).digest().readBigInt64BE(0);

/** Takes the keys' transaction-scoped advisory locks in one consistent (numeric) order. */
export function lockKeys(db: Sql, keys: string[]): Promise<unknown> {
  // A batch names each key many times (every event of a session): hash each one once.
  const ids = [...new Set([...new Set(keys)].map(lockIdOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return all(db, "SELECT pg_advisory_xact_lock(id) FROM unnest($1::bigint[]) AS id", [ids.map(String)]);
}

/** Keys for the rows a batch may insert, taken from the identity sequences up front. */
interface Keys {
  users: number[];
  sessions: number[];
  events: number[];
}

function allocateKeys(db: Sql, users: number, sessions: number, events: number): Promise<Keys> {
  return all<{ users: string[]; sessions: string[]; events: string[] }>(
    db,
    `SELECT ARRAY(SELECT nextval('users_pk_seq') FROM generate_series(1, $1)) AS users,
       ARRAY(SELECT nextval('sessions_pk_seq') FROM generate_series(1, $2)) AS sessions,
       ARRAY(SELECT nextval('events_pk_seq') FROM generate_series(1, $3)) AS events`,
    [users, sessions, events],
  ).then(([row]) => {
    const sorted = (list: string[] | undefined) => (list ?? []).map(Number).sort((x, y) => x - y);
    return { users: sorted(row?.users), sessions: sorted(row?.sessions), events: sorted(row?.events) };
  });
}

/**
 * Writes one project's part of a batch inside the caller's transaction (which holds the batch's
 * advisory locks) in two pipelined round trips: one flush of reads (stored event ids, users,
 * every session the batch may continue, and keys for new rows from the identity sequences), then
 * — after sessions, users and rollups are derived in memory exactly as the SQLite backend does —
 * one flush of multi-row writes that the transaction's commit follows without waiting. Rows
 * other batches also update (users, error groups, rollups, the project) are written last, so
 * their row locks are held only until the commit right behind them.
 */
export class BatchWriter {
  private sessionsById = new Map<string, SessionState>();
  private stored = new Map<string, SessionState>();
  private groups = new Map<string, SessionState[]>();
  private storedGroups = new Map<string, SessionState[]>();
  private users = new Map<number, UserState>();
  private usersById = new Map<string, UserState>();
  private sessionTools = new Map<string, { session: SessionState; tool: string }>();
  private records: { event: Event; record: EventRecord; session: SessionState }[] = [];
  private pendingAttribution: { session: SessionState; user: UserState }[] = [];
  private keys: Keys = { users: [], sessions: [], events: [] };
  readonly rollups = new RollupDeltas();

  constructor(
    private readonly db: Sql,
    private readonly projectPk: number,
    private readonly projectId: string,
  ) {}

  async write(events: Event[], droppedEvents: number, defer: Defer): Promise<IngestResult> {
    const existing = new Set(await this.read(events));
    const fresh: Event[] = [];
    for (const event of events) {
      if (existing.has(event.id)) continue;
      existing.add(event.id);
      fresh.push(event);
    }
    const duplicates = events.length - fresh.length;

    let newest = 0;
    for (const event of fresh) {
      const ts = Date.parse(event.timestamp);
      if (event.identifyActorGivenId && !this.usersById.has(event.identifyActorGivenId))
        this.rememberUser(newUser(this.keys.users.shift() as number, event.identifyActorGivenId, ts));
      this.writeEvent(event, ts, this.records.length);
      newest = Math.max(newest, ts);
    }
    if (fresh.length > 0) await this.flush(defer);
    defer(saveProject(this.db, this.projectPk, fresh.length > 0 ? newest : null, droppedEvents, duplicates));
    return { accepted: fresh.length, duplicates };
  }

  /**
   * The reads, in one pipelined round trip: ids already stored, the stored users the batch names,
   * the sessions it may continue (a superset is harmless: lookups match keys and windows exactly),
   * and keys for new rows. Resolves to the stored event ids.
   */
  private async read(events: Event[]): Promise<string[]> {
    const userIds = new Set<string>();
    const sessionIds = new Set<string>();
    const groupKeys = new Set<string>();
    const groupUserIds = new Set<string>();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      if (e.identifyActorGivenId) userIds.add(e.identifyActorGivenId);
      if (e.sessionId !== undefined) {
        sessionIds.add(e.sessionId);
        continue;
      }
      const ts = Date.parse(e.timestamp);
      min = Math.min(min, ts);
      max = Math.max(max, ts);
      sessionIds.add(statelessSessionId(this.projectId, e.id));
      if (e.identifyActorGivenId) groupUserIds.add(e.identifyActorGivenId);
      else if (e.correlationId !== undefined) groupKeys.add(`c:${e.correlationId}:${e.clientName ?? ""}`);
    }
    const grouped = groupKeys.size + groupUserIds.size > 0;
    const [stored, users, sessions, keys] = await Promise.all([
      all<{ event_id: string }>(
        this.db,
        `SELECT e.event_id FROM unnest($2::text[]) AS k(id)
         CROSS JOIN LATERAL (${byKey("events", "event_id", "event_id")}) e`,
        [this.projectPk, events.map((e) => e.id)],
      ),
      userIds.size > 0 ? loadUsers(this.db, this.projectPk, [...userIds]) : [],
      loadSessions(
        this.db,
        this.projectPk,
        [...sessionIds],
        [...groupKeys],
        [...groupUserIds],
        grouped ? min - SESSION_IDLE_TIMEOUT_MS : 0,
        grouped ? max + SESSION_IDLE_TIMEOUT_MS : 0,
      ),
      allocateKeys(this.db, userIds.size, sessionIds.size, events.length),
    ]);
    this.keys = keys;
    for (const row of users) this.rememberUser(userFromRow(row));
    const byPk = new Map(sessions.map((row) => [row.pk, row]));
    // Stored group candidates in the order SQLite's lookup would return them: latest first.
    const loaded = [...byPk.values()].map(sessionFromRow).sort((a, b) => b.lastSeen - a.lastSeen);
    for (const session of loaded) {
      this.stored.set(session.sessionId, session);
      if (session.groupKey !== null) {
        const list = this.storedGroups.get(session.groupKey) ?? [];
        list.push(session);
        this.storedGroups.set(session.groupKey, list);
      }
    }
    return stored.map((row) => row.event_id);
  }

  private groupKey(e: Event, user: UserState | null): string | null {
    const client = e.clientName ?? "";
    if (user) return `u:${user.pk}:${client}`;
    return e.correlationId !== undefined ? `c:${e.correlationId}:${client}` : null;
  }

  private writeEvent(e: Event, ts: number, index: number): void {
    const identified = e.identifyActorGivenId ? (this.usersById.get(e.identifyActorGivenId) ?? null) : null;
    if (identified && (e.identifyActorName || e.identifyActorData)) {
      // Once changed, the profile is rewritten anyway: later events need no comparison.
      const before = identified.profileChanged ? "" : profileText(identified);
      mergeProfile(identified, ts, e.identifyActorName, e.identifyActorData as JsonObject | undefined);
      if (!identified.profileChanged && profileText(identified) !== before) identified.profileChanged = true;
    }
    const session = this.session(e, identified, ts);
    if (identified && session.userPk !== identified.pk) this.assignUser(session, identified);
    const user = identified ?? (session.userPk === null ? null : this.userOf(session, session.userPk));

    const isToolCall = e.eventType === EVENT_TYPES.toolsCall;
    const isError = e.isError === true || e.error !== undefined;
    const tool = e.resourceName || "(unknown)";
    const record: EventRecord = {
      index,
      ts,
      userPk: user?.pk ?? null,
      isToolCall,
      isError,
      tool,
      errorKey: isError ? errorKeyOf(e.resourceName, e.eventType, e.error, e.response) : null,
    };
    this.records.push({ event: e, record, session });
    session.records.push(record);

    session.events++;
    if (isToolCall) session.toolCalls++;
    if (isError) session.errors++;
    session.firstSeen = Math.min(session.firstSeen, ts);
    session.lastSeen = Math.max(session.lastSeen, ts);
    session.clientName ??= e.clientName ?? null;
    session.clientVersion ??= e.clientVersion ?? null;
    session.serverName ??= e.serverName ?? null;
    session.serverVersion ??= e.serverVersion ?? null;

    if (isToolCall) {
      this.rollups.toolCall(floorTo(ts, HOUR_MS), tool, isError, e.duration);
      this.sessionTools.set(`${session.sessionId}${sep}${tool}`, { session, tool });
    }
    if (user) this.countForUser(user, session, record);
  }

  /** Adds one event to a user's counters, tools and clients. */
  private countForUser(user: UserState, session: SessionState, record: EventRecord): void {
    user.events++;
    if (record.isToolCall) user.toolCalls++;
    if (record.isError) user.errors++;
    user.firstSeen = Math.min(user.firstSeen, record.ts);
    user.lastSeen = Math.max(user.lastSeen, record.ts);
    if (record.isToolCall) {
      this.rollups.userTool(user.pk, record.tool, 1, record.isError ? 1 : 0, record.ts, record.ts);
      this.rollups.toolUser(record.ts, record.tool, userRegister(user));
    }
    if (session.clientName !== null)
      this.rollups.userClient(user.pk, session.clientName, session.clientVersion, record.ts, record.ts);
  }

  /** Finds or creates the event's session; stateless events are grouped here (see PROTOCOL.md). */
  private session(e: Event, user: UserState | null, ts: number): SessionState {
    if (e.sessionId !== undefined) {
      const touched = this.sessionsById.get(e.sessionId);
      if (touched) return touched;
      return this.remember(this.stored.get(e.sessionId) ?? this.create(e, e.sessionId, user, ts, null));
    }
    const groupKey = this.groupKey(e, user);
    const inWindow = (first: number, last: number) =>
      last >= ts - SESSION_IDLE_TIMEOUT_MS && first <= ts + SESSION_IDLE_TIMEOUT_MS;
    if (user && e.clientName === undefined) {
      // SDKs may omit the client on stateless tool calls while the user's initialize named it:
      // such an event joins the user's most recent open stateless session, whatever its client.
      const joined = this.latestUserSession(user, inWindow);
      if (joined) return joined;
    }
    if (groupKey !== null) {
      const touched = this.groups.get(groupKey)?.find((s) => inWindow(s.firstSeen, s.lastSeen));
      if (touched) return touched;
      // As stored before this batch (SQLite reads the row as last saved).
      const found = this.storedGroups
        .get(groupKey)
        ?.find((s) => s.stored && inWindow(s.stored.firstSeen, s.stored.lastSeen));
      if (found) return this.sessionsById.get(found.sessionId) ?? this.remember(found);
    }
    const sessionId = statelessSessionId(this.projectId, e.id);
    const existing = this.sessionsById.get(sessionId) ?? this.stored.get(sessionId);
    if (existing) return this.sessionsById.get(existing.sessionId) ?? this.remember(existing);
    return this.remember(this.create(e, sessionId, user, ts, groupKey));
  }

  /** The user's most recent stateless session (any client) open at the event, from this batch or the store. */
  private latestUserSession(
    user: UserState,
    inWindow: (first: number, last: number) => boolean,
  ): SessionState | null {
    const prefix = `u:${user.pk}:`;
    let best: SessionState | null = null;
    for (const [key, list] of this.groups) {
      if (!key.startsWith(prefix)) continue;
      for (const s of list)
        if (inWindow(s.firstSeen, s.lastSeen) && (!best || s.lastSeen > best.lastSeen)) best = s;
    }
    // The latest stored one as stored before this batch (as SQLite's row lookup sees it).
    let found: SessionState | null = null;
    for (const [key, list] of this.storedGroups) {
      if (!key.startsWith(prefix)) continue;
      for (const s of list)
        if (
          s.stored &&
          inWindow(s.stored.firstSeen, s.stored.lastSeen) &&
          (!found?.stored || s.stored.lastSeen > found.stored.lastSeen)
        )
          found = s;
    }
    if (found && inWindow(found.firstSeen, found.lastSeen) && (!best || found.lastSeen > best.lastSeen))
      best = this.sessionsById.get(found.sessionId) ?? this.remember(found);
    return best;
  }

  private create(e: Event, sessionId: string, user: UserState | null, ts: number, groupKey: string | null) {
    const session: SessionState = {
      pk: this.keys.sessions.shift() as number,
      sessionId,
      userPk: user?.pk ?? null,
      clientName: e.clientName ?? null,
      clientVersion: e.clientVersion ?? null,
      serverName: e.serverName ?? null,
      serverVersion: e.serverVersion ?? null,
      firstSeen: ts,
      lastSeen: ts,
      events: 0,
      toolCalls: 0,
      errors: 0,
      stateless: e.stateless === true,
      groupKey,
      original: null,
      stored: null,
      records: [],
      storedUserId: null,
    };
    if (user) user.sessions++;
    return session;
  }

  private remember(session: SessionState): SessionState {
    this.sessionsById.set(session.sessionId, session);
    if (session.groupKey !== null) {
      const list = this.groups.get(session.groupKey) ?? [];
      list.push(session);
      this.groups.set(session.groupKey, list);
    }
    return session;
  }

  /** A session gets (or changes) its user; when it was anonymous, its earlier events follow. */
  private assignUser(session: SessionState, user: UserState): void {
    const wasAnonymous = session.userPk === null;
    session.userPk = user.pk;
    user.sessions++;
    if (!wasAnonymous || session.events === 0) return;
    for (const record of session.records)
      if (record.userPk === null) {
        record.userPk = user.pk;
        this.countForUser(user, session, record);
      }
    if (session.stored && session.stored.events > 0) this.pendingAttribution.push({ session, user });
  }

  /**
   * The session's user: from this batch, else a user whose counters the batch adds to, named by the
   * id loaded with the session (a session's user is either loaded with it or set by this batch).
   */
  private userOf(session: SessionState, pk: number): UserState {
    return this.users.get(pk) ?? this.rememberUser(emptyUser(pk, session.storedUserId ?? ""));
  }

  private rememberUser(user: UserState): UserState {
    this.users.set(user.pk, user);
    if (user.userId) this.usersById.set(user.userId, user);
    return user;
  }

  /** Queues the batch's writes (one pipelined flush); only a rare attribution reads first. */
  private async flush(defer: Defer): Promise<void> {
    const db = this.db;
    const sessions = [...this.sessionsById.values()];
    const userLinks: { key: { tool: string; message: string }; userPk: number }[] = [];
    for (const { session, user } of this.pendingAttribution)
      for (const row of await attributeStoredEvents(db, session.pk as number, user.pk)) {
        this.countForUser(user, session, row.record);
        if (row.record.errorKey) userLinks.push({ key: row.record.errorKey, userPk: user.pk });
      }
    const written = this.records.map((w) => ({ ...w, pk: this.keys.events[w.record.index] as number }));
    const users = [...this.users.values()];
    defer(insertUsers(db, this.projectPk, users));
    for (const statement of saveSessions(db, this.projectPk, sessions)) defer(statement);
    defer(insertEvents(db, this.projectPk, written));
    defer(saveSessionTools(db, [...this.sessionTools.values()]));
    // Rows shared with other batches from here on.
    for (const statement of saveUsers(db, users)) defer(statement);
    const occurrences: ErrorOccurrence[] = [];
    for (const { record, session, pk } of written)
      if (record.errorKey)
        occurrences.push({
          key: record.errorKey,
          ts: record.ts,
          eventPk: pk,
          sessionPk: session.pk as number,
          userPk: record.userPk,
        });
    for (const session of sessions) this.rollups.session(session.original, rollupKeyOf(session));
    defer(this.rollups.flush(db, this.projectPk));
    // Error groups are the rows most batches share: last before the project row.
    for (const statement of recordErrors(db, this.projectPk, occurrences, userLinks)) defer(statement);
  }
}
