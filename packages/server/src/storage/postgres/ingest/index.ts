import { createHash } from "node:crypto";
import { EVENT_TYPES, type Event, SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol";
import { errorKeyOf } from "../../sqlite/ingest/errors.js";
import { mergeProfile } from "../../sqlite/ingest/state.js";
import { floorTo, HOUR_MS } from "../../time.js";
import type { IngestResult, JsonObject } from "../../types.js";
import { all, type Sql } from "../db.js";
import { attributeStoredEvents } from "./attribute.js";
import { type ErrorOccurrence, recordErrors } from "./errors.js";
import { RollupDeltas } from "./rollups.js";
import {
  type EventRecord,
  emptyUser,
  loadOrCreateUsers,
  loadSessions,
  rollupKeyOf,
  type SessionState,
  type UserState,
} from "./state.js";
import { insertEvents, saveProject, saveSessions, saveSessionTools, saveUsers } from "./write.js";

const sep = "\u0000";

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
export async function lockKeys(db: Sql, keys: string[]): Promise<void> {
  const ids = [...new Set(keys.map(lockIdOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await all(db, "SELECT pg_advisory_xact_lock(id) FROM unnest($1::bigint[]) AS id", [ids.map(String)]);
}

/**
 * Writes one project's part of a batch inside the caller's transaction (which holds the batch's
 * advisory locks). Reads everything the batch needs in a few set-based queries, derives sessions,
 * users and rollups in memory exactly as the SQLite backend does, then writes with multi-row
 * statements: sessions, events, errors, rollups, users.
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
  readonly rollups = new RollupDeltas();

  constructor(
    private readonly db: Sql,
    private readonly projectPk: number,
    private readonly projectId: string,
  ) {}

  async write(events: Event[], droppedEvents: number): Promise<IngestResult> {
    const existing = new Set(
      (
        await all<{ event_id: string }>(
          this.db,
          "SELECT event_id FROM events WHERE project_pk = $1 AND event_id = ANY($2::text[])",
          [this.projectPk, events.map((e) => e.id)],
        )
      ).map((row) => row.event_id),
    );
    const fresh: Event[] = [];
    for (const event of events) {
      if (existing.has(event.id)) continue;
      existing.add(event.id);
      fresh.push(event);
    }
    const duplicates = events.length - fresh.length;
    if (fresh.length > 0) await this.prefetch(fresh);

    let newest = 0;
    for (const event of fresh) {
      const ts = Date.parse(event.timestamp);
      this.writeEvent(event, ts, this.records.length);
      newest = Math.max(newest, ts);
    }
    if (fresh.length > 0) await this.flush();
    await saveProject(this.db, this.projectPk, fresh.length > 0 ? newest : null, droppedEvents, duplicates);
    return { accepted: fresh.length, duplicates };
  }

  /** Loads the identified users (creating new ones) and every session the batch may continue. */
  private async prefetch(events: Event[]): Promise<void> {
    const firstSeen = new Map<string, number>();
    for (const e of events)
      if (e.identifyActorGivenId && !firstSeen.has(e.identifyActorGivenId))
        firstSeen.set(e.identifyActorGivenId, Date.parse(e.timestamp));
    for (const user of await loadOrCreateUsers(this.db, this.projectPk, firstSeen)) this.rememberUser(user);

    const ids = new Set<string>();
    const groupKeys = new Set<string>();
    const userPrefixes = new Set<string>();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      if (e.sessionId !== undefined) {
        ids.add(e.sessionId);
        continue;
      }
      const ts = Date.parse(e.timestamp);
      min = Math.min(min, ts);
      max = Math.max(max, ts);
      ids.add(statelessSessionId(this.projectId, e.id));
      const user = e.identifyActorGivenId ? this.usersById.get(e.identifyActorGivenId) : undefined;
      const key = this.groupKey(e, user ?? null);
      if (key !== null) groupKeys.add(key);
      if (user && e.clientName === undefined) userPrefixes.add(`u:${user.pk}:%`);
    }
    const sessions = await loadSessions(
      this.db,
      this.projectPk,
      [...ids],
      [...groupKeys],
      [...userPrefixes],
      groupKeys.size > 0 ? min - SESSION_IDLE_TIMEOUT_MS : 0,
      groupKeys.size > 0 ? max + SESSION_IDLE_TIMEOUT_MS : 0,
    );
    // Stored group candidates in the order SQLite's lookup would return them: latest first.
    sessions.sort((a, b) => b.lastSeen - a.lastSeen);
    for (const session of sessions) {
      this.stored.set(session.sessionId, session);
      if (session.groupKey !== null) {
        const list = this.storedGroups.get(session.groupKey) ?? [];
        list.push(session);
        this.storedGroups.set(session.groupKey, list);
      }
    }
  }

  private groupKey(e: Event, user: UserState | null): string | null {
    const client = e.clientName ?? "";
    if (user) return `u:${user.pk}:${client}`;
    return e.correlationId !== undefined ? `c:${e.correlationId}:${client}` : null;
  }

  private writeEvent(e: Event, ts: number, index: number): void {
    const identified = e.identifyActorGivenId ? (this.usersById.get(e.identifyActorGivenId) ?? null) : null;
    if (identified) {
      const before = `${identified.userName}\u0000${JSON.stringify(identified.userData)}\u0000${identified.profileAt}`;
      mergeProfile(identified, ts, e.identifyActorName, e.identifyActorData as JsonObject | undefined);
      const after = `${identified.userName}\u0000${JSON.stringify(identified.userData)}\u0000${identified.profileAt}`;
      if (before !== after) identified.profileChanged = true;
    }
    const session = this.session(e, identified, ts);
    if (identified && session.userPk !== identified.pk) this.assignUser(session, identified);
    const user = identified ?? (session.userPk === null ? null : this.userByPk(session.userPk));

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
    if (record.isToolCall)
      this.rollups.userTool(user.pk, record.tool, 1, record.isError ? 1 : 0, record.ts, record.ts);
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
      pk: null,
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

  private userByPk(pk: number): UserState {
    return this.users.get(pk) ?? this.rememberUser(emptyUser(pk, ""));
  }

  private rememberUser(user: UserState): UserState {
    this.users.set(user.pk, user);
    if (user.userId) this.usersById.set(user.userId, user);
    return user;
  }

  private async flush(): Promise<void> {
    const sessions = [...this.sessionsById.values()];
    await saveSessions(this.db, this.projectPk, sessions);
    const userLinks: { key: { tool: string; message: string }; userPk: number }[] = [];
    for (const { session, user } of this.pendingAttribution)
      for (const row of await attributeStoredEvents(this.db, session.pk as number, user.pk)) {
        this.countForUser(user, session, row.record);
        if (row.record.errorKey) userLinks.push({ key: row.record.errorKey, userPk: user.pk });
      }
    const eventPks = await insertEvents(this.db, this.projectPk, this.records);
    await saveSessionTools(this.db, [...this.sessionTools.values()]);
    const occurrences: ErrorOccurrence[] = [];
    for (const { record, session } of this.records)
      if (record.errorKey)
        occurrences.push({
          key: record.errorKey,
          ts: record.ts,
          eventPk: eventPks[record.index] as number,
          sessionPk: session.pk as number,
          userPk: record.userPk,
        });
    await recordErrors(this.db, this.projectPk, occurrences, userLinks);
    for (const session of sessions) this.rollups.session(session.original, rollupKeyOf(session));
    await this.rollups.flush(this.db, this.projectPk);
    await saveUsers(this.db, [...this.users.values()]);
  }
}
