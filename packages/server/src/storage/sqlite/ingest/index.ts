import { createHash } from "node:crypto";
import { EVENT_TYPES, type Event, SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol";
import { errorKeyOf, identifyRecordOf, mergeProfile } from "../../shared/index.js";
import { rollupKeyOf, userRegister } from "../../shared/rollup-deltas.js";
import { floorTo, HOUR_MS } from "../../time.js";
import type { IngestResult, JsonObject } from "../../types.js";
import { type Db, insertRows, run, toJson } from "../db.js";
import { attributeEarlierEvents } from "./attribute.js";
import { RollupDeltas } from "./rollups.js";
import {
  findGroupSession,
  findLatestUserGroupSession,
  insertSession,
  loadOrCreateUser,
  loadSessionById,
  loadUserByPk,
  type SessionState,
  saveSession,
  saveUser,
  type UserState,
} from "./state.js";

// ON CONFLICT on the id only: `INSERT OR IGNORE` would also skip a row that breaks a NOT NULL
// constraint and count it as a duplicate, acknowledging an event that was never stored.
const INSERT_EVENT = `INSERT INTO events (project_pk, event_id, session_pk, user_pk, ts, event_type, resource_name,
  duration, is_error, error, user_intent, parameters, response, identify, client_name, client_version, server_name,
  server_version, sdk_language, sdk_version, tags, properties, trace_id, span_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (project_pk, event_id) DO NOTHING`;

/**
 * Writes one batch inside the caller's transaction: events, then the derived sessions, users and
 * rollups. Sessions and users touched by the batch are held in memory and saved once at the end.
 */
export class BatchWriter {
  private sessions = new Map<number, SessionState>();
  private sessionsById = new Map<string, SessionState>();
  private groups = new Map<string, SessionState[]>();
  private users = new Map<number, UserState>();
  private usersById = new Map<string, UserState>();
  /** Tools called per session in this batch, written with one statement per chunk at the end. */
  private sessionTools = new Map<number, Set<string>>();
  readonly rollups = new RollupDeltas();

  constructor(
    private readonly db: Db,
    private readonly projectPk: number,
    private readonly projectId: string,
  ) {}

  write(events: Event[], droppedEvents: number): IngestResult {
    let accepted = 0;
    let duplicates = 0;
    let newest = 0;
    for (const event of events) {
      const ts = Date.parse(event.timestamp);
      if (!this.writeEvent(event, ts)) {
        duplicates++;
        continue;
      }
      newest = Math.max(newest, ts);
      accepted++;
    }
    this.flush();
    run(
      this.db,
      `UPDATE projects SET last_event_at = max(coalesce(last_event_at, 0), ?), dropped_events = dropped_events + ?,
         duplicate_events = duplicate_events + ? WHERE pk = ?`,
      newest,
      droppedEvents,
      duplicates,
      this.projectPk,
    );
    return { accepted, duplicates };
  }

  /**
   * Writes one event; false when its id is already stored. The session is resolved first; for a
   * duplicate that finds the session holding the original, so nothing new is created.
   */
  private writeEvent(e: Event, ts: number): boolean {
    const identified = e.identifyActorGivenId ? this.user(e.identifyActorGivenId, ts) : null;
    if (identified)
      mergeProfile(identified, ts, e.identifyActorName, e.identifyActorData as JsonObject | undefined);
    const session = this.session(e, identified, ts);
    if (identified && session.userPk !== identified.pk) this.assignUser(session, identified);
    const user = identified ?? (session.userPk === null ? null : this.userByPk(session.userPk));

    const isToolCall = e.eventType === EVENT_TYPES.toolsCall;
    const isError = e.isError === true || e.error !== undefined;
    const inserted = run(
      this.db,
      INSERT_EVENT,
      this.projectPk,
      e.id,
      session.pk,
      user?.pk ?? null,
      ts,
      e.eventType,
      e.resourceName ?? null,
      e.duration ?? null,
      isError ? 1 : 0,
      toJson(e.error),
      e.userIntent ?? null,
      toJson(e.parameters),
      toJson(e.response),
      toJson(identifyRecordOf(e)),
      e.clientName ?? null,
      e.clientVersion ?? null,
      e.serverName ?? null,
      e.serverVersion ?? null,
      e.sdkLanguage ?? null,
      e.sdkVersion ?? null,
      toJson(e.tags),
      toJson(e.properties),
      e.traceId ?? null,
      e.spanId ?? null,
    );
    if (inserted.changes === 0) return false;
    const eventPk = Number(inserted.lastInsertRowid);

    session.events++;
    if (isToolCall) session.toolCalls++;
    if (isError) session.errors++;
    session.firstSeen = Math.min(session.firstSeen, ts);
    session.lastSeen = Math.max(session.lastSeen, ts);
    session.clientName ??= e.clientName ?? null;
    session.clientVersion ??= e.clientVersion ?? null;
    session.serverName ??= e.serverName ?? null;
    session.serverVersion ??= e.serverVersion ?? null;

    const tool = e.resourceName || "(unknown)";
    if (isToolCall) {
      this.rollups.toolCall(floorTo(ts, HOUR_MS), tool, isError, e.duration);
      let tools = this.sessionTools.get(session.pk);
      if (!tools) {
        tools = new Set();
        this.sessionTools.set(session.pk, tools);
      }
      tools.add(tool);
    }
    if (user) {
      user.events++;
      if (isToolCall) user.toolCalls++;
      if (isError) user.errors++;
      user.firstSeen = Math.min(user.firstSeen, ts);
      user.lastSeen = Math.max(user.lastSeen, ts);
      if (isToolCall) {
        this.rollups.userTool(user.pk, tool, 1, isError ? 1 : 0, ts, ts);
        this.rollups.toolUser(ts, tool, userRegister(user));
      }
      if (session.clientName !== null)
        this.rollups.userClient(user.pk, session.clientName, session.clientVersion, ts, ts);
    }
    if (isError) {
      const key = errorKeyOf(e.resourceName, e.eventType, e.error, e.response);
      this.rollups.errors.add(key, ts, eventPk, session.pk, user?.pk ?? null);
    }
    return true;
  }

  /** Finds or creates the event's session; stateless events are grouped here (see PROTOCOL.md). */
  private session(e: Event, user: UserState | null, ts: number): SessionState {
    if (e.sessionId !== undefined) {
      const cached = this.sessionsById.get(e.sessionId);
      if (cached) return cached;
      const found = loadSessionById(this.db, this.projectPk, e.sessionId);
      return this.remember(found ?? this.create(e, e.sessionId, user, ts, null));
    }
    const client = e.clientName ?? "";
    const groupKey = user
      ? `u:${user.pk}:${client}`
      : e.correlationId !== undefined
        ? `c:${e.correlationId}:${client}`
        : null;
    const inWindow = (s: SessionState) =>
      s.lastSeen >= ts - SESSION_IDLE_TIMEOUT_MS && s.firstSeen <= ts + SESSION_IDLE_TIMEOUT_MS;
    if (user && e.clientName === undefined) {
      // SDKs may omit the client on stateless tool calls while the user's initialize named it:
      // such an event joins the user's most recent open stateless session, whatever its client.
      const joined = this.latestUserSession(user, ts, inWindow);
      if (joined) return joined;
    }
    if (groupKey !== null) {
      const cached = this.groups.get(groupKey)?.find(inWindow);
      if (cached) return cached;
      const found = findGroupSession(
        this.db,
        this.projectPk,
        groupKey,
        ts - SESSION_IDLE_TIMEOUT_MS,
        ts + SESSION_IDLE_TIMEOUT_MS,
      );
      if (found) return this.sessions.get(found.pk) ?? this.remember(found);
    }
    const sessionId = `sl_${createHash("sha256").update(`${this.projectId}\u0000${e.id}`).digest("base64url").slice(0, 24)}`;
    const existing = this.sessionsById.get(sessionId) ?? loadSessionById(this.db, this.projectPk, sessionId);
    if (existing) return this.sessions.get(existing.pk) ?? this.remember(existing);
    return this.remember(this.create(e, sessionId, user, ts, groupKey));
  }

  /** The user's most recent stateless session (any client) open at `ts`, from this batch or the store. */
  private latestUserSession(
    user: UserState,
    ts: number,
    inWindow: (s: SessionState) => boolean,
  ): SessionState | null {
    const prefix = `u:${user.pk}:`;
    let best: SessionState | null = null;
    for (const [key, list] of this.groups) {
      if (!key.startsWith(prefix)) continue;
      for (const s of list) if (inWindow(s) && (!best || s.lastSeen > best.lastSeen)) best = s;
    }
    const found = findLatestUserGroupSession(
      this.db,
      this.projectPk,
      prefix,
      ts - SESSION_IDLE_TIMEOUT_MS,
      ts + SESSION_IDLE_TIMEOUT_MS,
    );
    // A stored session already held in memory is newer there than in the row.
    const stored = found ? (this.sessions.get(found.pk) ?? found) : null;
    if (stored && inWindow(stored) && (!best || stored.lastSeen > best.lastSeen))
      best = this.sessions.get(stored.pk) ?? this.remember(stored);
    return best;
  }

  private create(e: Event, sessionId: string, user: UserState | null, ts: number, groupKey: string | null) {
    const session = insertSession(this.db, this.projectPk, {
      sessionId,
      userPk: user?.pk ?? null,
      clientName: e.clientName ?? null,
      clientVersion: e.clientVersion ?? null,
      serverName: e.serverName ?? null,
      serverVersion: e.serverVersion ?? null,
      firstSeen: ts,
      lastSeen: ts,
      stateless: e.stateless === true,
      groupKey,
    });
    if (user) user.sessions++;
    return session;
  }

  private remember(session: SessionState): SessionState {
    this.sessions.set(session.pk, session);
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
    if (wasAnonymous && session.events > 0) attributeEarlierEvents(this.db, session, user, this.rollups);
  }

  private user(userId: string, ts: number): UserState {
    const cached = this.usersById.get(userId);
    if (cached) return cached;
    return this.rememberUser(loadOrCreateUser(this.db, this.projectPk, userId, ts));
  }

  private userByPk(pk: number): UserState {
    return this.users.get(pk) ?? this.rememberUser(loadUserByPk(this.db, pk));
  }

  private rememberUser(user: UserState): UserState {
    this.users.set(user.pk, user);
    this.usersById.set(user.userId, user);
    return user;
  }

  private flush(): void {
    for (const session of this.sessions.values()) {
      saveSession(this.db, session);
      this.rollups.session(session.original, rollupKeyOf(session));
    }
    for (const user of this.users.values()) saveUser(this.db, user);
    const pairs: unknown[] = [];
    for (const [sessionPk, tools] of this.sessionTools) for (const tool of tools) pairs.push(sessionPk, tool);
    insertRows(this.db, "INSERT OR IGNORE INTO session_tools (session_pk, tool) VALUES", 2, pairs);
    this.rollups.flush(this.db, this.projectPk);
  }
}
