import { type ChunkEvent, type ChunkResult, deriveChunk, type PassTransaction } from "../../derive/pass.js";
import { profileTime } from "../../derive/profile.js";
import type { SketchRow, UserTotals } from "../../derive/recompute.js";
import type {
  ErrorKey,
  LinkedEvent,
  LoadedState,
  ProfileClock,
  SessionState,
  StateRequest,
  UserDelta,
  UserState,
  WriteSet,
} from "../../derive/types.js";
import {
  DERIVE_COLUMNS,
  type DeriveRow,
  toChunkEvent,
  toDeriveEvent,
  toUserEvent,
  USER_EVENT_FROM,
  type UserEventRow,
} from "../../shared/derive-event.js";
import { type SessionTableRow, toSessionState } from "../../shared/rows.js";
import { tombstoneKey } from "../../shared/tombstone.js";
import type { JsonObject } from "../../types.js";
import { all, type Db, fromJson, get, immediate, insertRows, run, updateChanged } from "../db.js";
import type { RecentEvents } from "../events/recent.js";
import { ErrorDeltas } from "./errors.js";
import { writeRollups } from "./rollups.js";

/** `?, ?, …` for a list, and the list in chunks small enough for SQLite's parameter limit. */
const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
function* chunks<T>(list: T[], size = 500): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

const noClock = (): ProfileClock => ({ name: null, data: {} });

type SessionRow = SessionTableRow<number> & { user_id: string | null };
type UserRow = {
  pk: number;
  user_id: string;
  user_name: string | null;
  user_data: string | null;
  profile_clock: string | null;
  first_seen: number;
  last_seen: number;
};

/** Recounts error groups' distinct sessions or users from their link rows. */
function recountGroups(db: Db, groupPks: Iterable<number>, counter: "sessions" | "users"): void {
  const table = counter === "sessions" ? "error_group_sessions" : "error_group_users";
  for (const pks of chunks([...new Set(groupPks)]))
    run(
      db,
      `UPDATE error_groups SET ${counter} = (SELECT count(*) FROM ${table} WHERE group_pk = error_groups.pk)
       WHERE pk IN (${marks(pks.length)})`,
      ...pks,
    );
}

/**
 * The pass's reads and writes on SQLite (one chunk, inside the caller's IMMEDIATE transaction).
 * Rows loaded for the chunk are kept so writes assign only the columns that changed: SQLite
 * rewrites every index on an assigned column, changed or not.
 */
export class SqlitePass implements PassTransaction {
  private sessions = new Map<number, SessionState>();
  private users = new Map<number, UserRow>();
  private next: { users: number; sessions: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly recent?: RecentEvents,
  ) {}

  async readAfter(limit: number): Promise<ChunkEvent[]> {
    const { cursor } = get<{ cursor: number }>(this.db, "SELECT cursor FROM derivation") as {
      cursor: number;
    };
    const recent = this.recent?.take(this.db, cursor, limit);
    if (recent) return recent;
    return all<DeriveRow & { project_id: string }>(
      this.db,
      `SELECT ${DERIVE_COLUMNS}, p.id AS project_id FROM events e JOIN projects p ON p.pk = e.project_pk
       WHERE e.pk > ? ORDER BY e.pk LIMIT ?`,
      cursor,
      limit,
    ).map((row) => toChunkEvent(row, row.project_id));
  }

  async loadState(projectPk: number, request: StateRequest): Promise<LoadedState> {
    const db = this.db;
    const users: UserState[] = [];
    for (const ids of chunks(request.userIds))
      for (const row of all<UserRow>(
        db,
        `SELECT pk, user_id, user_name, user_data, profile_clock, first_seen, last_seen FROM users
         WHERE project_pk = ? AND user_id IN (${marks(ids.length)})`,
        projectPk,
        ...ids,
      )) {
        this.users.set(row.pk, row);
        users.push({
          pk: row.pk,
          userId: row.user_id,
          userName: row.user_name,
          userData: fromJson<JsonObject>(row.user_data),
          clock: fromJson<ProfileClock>(row.profile_clock) ?? noClock(),
        });
      }
    const rows: SessionRow[] = [];
    const columns = "s.*, u.user_id AS user_id FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk";
    for (const ids of chunks(request.sessionIds))
      rows.push(
        ...all<SessionRow>(
          db,
          `SELECT ${columns} WHERE s.project_pk = ? AND s.session_id IN (${marks(ids.length)})`,
          projectPk,
          ...ids,
        ),
      );
    for (const group of request.groups)
      rows.push(
        ...all<SessionRow>(
          db,
          `SELECT ${columns} WHERE s.project_pk = ? AND s.group_key = ? AND s.last_seen >= ? AND s.first_seen <= ?`,
          projectPk,
          group.key,
          group.from,
          group.to,
        ),
      );
    const sessions = rows.map(toSessionState);
    for (const s of sessions) this.sessions.set(s.pk, s);
    const erasedUsers = new Map<string, number>();
    const erasedSessions = new Map<string, number>();
    for (const [kind, ids, into] of [
      ["user", request.userIds, erasedUsers],
      ["session", request.sessionIds, erasedSessions],
    ] as const)
      for (const list of chunks(ids)) {
        const byKey = new Map(list.map((id) => [tombstoneKey(id), id]));
        for (const row of all<{ id: string; erased_at: number }>(
          db,
          `SELECT id, erased_at FROM erasures WHERE project_pk = ? AND kind = ? AND id IN (${marks(list.length)})`,
          projectPk,
          kind,
          ...byKey.keys(),
        ))
          into.set(byKey.get(row.id) as string, row.erased_at);
      }
    return { users, sessions, erasedUsers, erasedSessions };
  }

  async loadSessionEvents(sessionPks: number[]): Promise<LinkedEvent[]> {
    const out: LinkedEvent[] = [];
    for (const pks of chunks(sessionPks))
      for (const row of all<DeriveRow & { session_pk: number; user_pk: number | null }>(
        this.db,
        `SELECT ${DERIVE_COLUMNS}, l.session_pk, l.user_pk FROM event_links l JOIN events e ON e.pk = l.event_pk
         WHERE l.session_pk IN (${marks(pks.length)})`,
        ...pks,
      ))
        out.push({ ...toDeriveEvent(row), sessionPk: row.session_pk, userPk: row.user_pk });
    return out;
  }

  async allocate(users: number, sessions: number) {
    // Only the pass inserts users and sessions, one chunk at a time under the write lock.
    this.next ??= {
      users: (get<{ n: number }>(this.db, "SELECT coalesce(max(pk), 0) + 1 AS n FROM users") as { n: number })
        .n,
      sessions: (
        get<{ n: number }>(this.db, "SELECT coalesce(max(pk), 0) + 1 AS n FROM sessions") as { n: number }
      ).n,
    };
    const next = this.next;
    const take = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
    const out = { users: take(users, next.users), sessions: take(sessions, next.sessions) };
    next.users += users;
    next.sessions += sessions;
    return out;
  }

  async write(ws: WriteSet): Promise<void> {
    const db = this.db;
    for (const pks of chunks(ws.droppedEvents)) {
      run(db, `DELETE FROM events WHERE pk IN (${marks(pks.length)})`, ...pks);
      run(db, `DELETE FROM event_links WHERE event_pk IN (${marks(pks.length)})`, ...pks);
    }
    const touchedGroups: number[] = [];
    for (const pks of chunks(ws.sessions.delete)) {
      const list = marks(pks.length);
      for (const row of all<{ group_pk: number }>(
        db,
        `SELECT DISTINCT group_pk FROM error_group_sessions WHERE session_pk IN (${list})`,
        ...pks,
      ))
        touchedGroups.push(row.group_pk);
      run(db, `DELETE FROM error_group_sessions WHERE session_pk IN (${list})`, ...pks);
      run(db, `DELETE FROM session_tools WHERE session_pk IN (${list})`, ...pks);
      run(db, `DELETE FROM sessions WHERE pk IN (${list})`, ...pks);
    }
    recountGroups(db, touchedGroups, "sessions");
    for (const s of ws.sessions.update) {
      const stored = this.sessions.get(s.pk);
      const columns: [string, unknown, unknown][] = [
        ["session_id", s.sessionId, stored?.sessionId],
        ["user_pk", s.userPk, stored?.userPk],
        ["client_name", s.clientName, stored?.clientName],
        ["client_version", s.clientVersion, stored?.clientVersion],
        ["server_name", s.serverName, stored?.serverName],
        ["server_version", s.serverVersion, stored?.serverVersion],
        ["first_seen", s.firstSeen, stored?.firstSeen],
        ["last_seen", s.lastSeen, stored?.lastSeen],
        ["events", s.events, stored?.events],
        ["tool_calls", s.toolCalls, stored?.toolCalls],
        ["errors", s.errors, stored?.errors],
      ];
      updateChanged(db, "sessions", s.pk, columns);
    }
    insertRows(
      db,
      `INSERT INTO sessions (pk, project_pk, session_id, user_pk, client_name, client_version, server_name,
         server_version, first_seen, last_seen, events, tool_calls, errors, stateless, group_key) VALUES`,
      15,
      ws.sessions.insert.flatMap((s) => [
        s.pk,
        ws.projectPk,
        s.sessionId,
        s.userPk,
        s.clientName,
        s.clientVersion,
        s.serverName,
        s.serverVersion,
        s.firstSeen,
        s.lastSeen,
        s.events,
        s.toolCalls,
        s.errors,
        s.stateless ? 1 : 0,
        s.groupKey,
      ]),
    );
    insertRows(
      db,
      "INSERT OR REPLACE INTO event_links (event_pk, session_pk, user_pk, ts) VALUES",
      4,
      [ws.links.fresh, ws.links.moved].flatMap((l) =>
        l.eventPks.flatMap((pk, i) => [pk, l.sessionPks[i], l.userPks[i], l.ts[i]]),
      ),
    );
    insertRows(
      db,
      "INSERT OR IGNORE INTO session_tools (session_pk, tool) VALUES",
      2,
      ws.sessionTools.flatMap((t) => [t.sessionPk, t.tool]),
    );
    insertRows(
      db,
      `INSERT INTO users (pk, project_pk, user_id, user_name, user_data, profile_at, profile_clock, first_seen,
         last_seen, sessions, tool_calls, errors, events) VALUES`,
      13,
      ws.users.insert.flatMap((u) => [
        u.pk,
        ws.projectPk,
        u.userId,
        u.userName,
        u.userData === null ? null : JSON.stringify(u.userData),
        profileTime(u, u.firstSeen),
        JSON.stringify(u.clock),
        u.firstSeen,
        u.lastSeen,
        u.sessions,
        u.toolCalls,
        u.errors,
        u.events,
      ]),
    );
    for (const d of ws.users.update) this.updateUser(d, this.users.get(d.pk));
    writeRollups(db, ws.projectPk, ws.rollups);
    const errors = new ErrorDeltas();
    for (const o of ws.errors.occurrences) errors.add(o);
    for (const l of ws.errors.sessionLinks) errors.linkSession(l.key, l.sessionPk);
    for (const l of ws.errors.userLinks) errors.linkUser(l.key, l.userPk);
    errors.flush(db, ws.projectPk);
    if (ws.lastEventAt !== null)
      run(
        db,
        "UPDATE projects SET last_event_at = ? WHERE pk = ? AND (last_event_at IS NULL OR last_event_at < ?)",
        ws.lastEventAt,
        ws.projectPk,
        ws.lastEventAt,
      );
  }

  /**
   * One user's counter deltas, first/last seen (only when they move) and profile (with its search
   * entry when the name changed) in one statement that assigns only what changes.
   */
  private updateUser(d: UserDelta, stored: UserRow | undefined): void {
    const pk = d.pk;
    const set: string[] = [];
    const params: unknown[] = [];
    for (const [column, delta] of [
      ["events", d.events],
      ["tool_calls", d.toolCalls],
      ["errors", d.errors],
      ["sessions", d.sessions],
    ] as const)
      if (delta !== 0) {
        set.push(`${column} = ${column} + ?`);
        params.push(delta);
      }
    if (d.firstSeen !== null && (!stored || d.firstSeen < stored.first_seen)) {
      set.push("first_seen = min(first_seen, ?)");
      params.push(d.firstSeen);
    }
    if (d.lastSeen !== null && (!stored || d.lastSeen > stored.last_seen)) {
      set.push("last_seen = max(last_seen, ?)");
      params.push(d.lastSeen);
    }
    const profile = d.profile;
    const data = profile?.userData ? JSON.stringify(profile.userData) : null;
    if (profile) {
      if (profile.userName !== stored?.user_name) {
        set.push("user_name = ?");
        params.push(profile.userName);
      }
      if (data !== stored?.user_data) {
        set.push("user_data = ?");
        params.push(data);
      }
      set.push("profile_at = ?", "profile_clock = ?");
      params.push(profileTime(profile, 0), JSON.stringify(profile.clock));
    }
    if (set.length === 0) return;
    run(this.db, `UPDATE users SET ${set.join(", ")} WHERE pk = ?`, ...params, pk);
    if (profile && stored && profile.userName !== stored.user_name) {
      run(
        this.db,
        "INSERT INTO users_search (users_search, rowid, user_id, user_name) VALUES ('delete', ?, ?, ?)",
        pk,
        stored.user_id,
        stored.user_name,
      );
      run(
        this.db,
        "INSERT INTO users_search (rowid, user_id, user_name) VALUES (?, ?, ?)",
        pk,
        stored.user_id,
        profile.userName,
      );
    }
  }

  async writeUserTotals(projectPk: number, totals: UserTotals[]): Promise<void> {
    const db = this.db;
    const groups: number[] = [];
    for (const t of totals) {
      run(
        db,
        `UPDATE users SET first_seen = ?, last_seen = ?, sessions = ?, tool_calls = ?, errors = ?, events = ?
         WHERE pk = ?`,
        t.firstSeen,
        t.lastSeen,
        t.sessions,
        t.toolCalls,
        t.errors,
        t.events,
        t.pk,
      );
      run(db, "DELETE FROM user_tools WHERE user_pk = ?", t.pk);
      insertRows(
        db,
        "INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at) VALUES",
        7,
        t.tools.flatMap((r) => [t.pk, r.tool, projectPk, r.calls, r.errors, r.first, r.last]),
      );
      run(db, "DELETE FROM user_clients WHERE user_pk = ?", t.pk);
      insertRows(
        db,
        "INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at) VALUES",
        6,
        t.clients.flatMap((r) => [t.pk, r.name, r.version, projectPk, r.first, r.last]),
      );
      for (const row of all<{ group_pk: number }>(
        db,
        "SELECT group_pk FROM error_group_users WHERE user_pk = ?",
        t.pk,
      ))
        groups.push(row.group_pk);
      run(db, "DELETE FROM error_group_users WHERE user_pk = ?", t.pk);
      for (const key of t.errorKeys) {
        const group = errorGroupPk(db, projectPk, key);
        if (group === undefined) continue;
        run(db, "INSERT OR IGNORE INTO error_group_users (group_pk, user_pk) VALUES (?, ?)", group, t.pk);
        groups.push(group);
      }
    }
    recountGroups(db, groups, "users");
  }

  async writeSketches(projectPk: number, sketches: { hours: SketchRow[]; days: SketchRow[] }): Promise<void> {
    for (const [table, column, rows] of [
      ["tool_hour_users", "hour", sketches.hours],
      ["tool_day_users", "day", sketches.days],
    ] as const)
      for (const row of rows) {
        if (row.sketch === null)
          run(
            this.db,
            `DELETE FROM ${table} WHERE project_pk = ? AND ${column} = ? AND tool = ?`,
            projectPk,
            row.start,
            row.tool,
          );
        else
          run(
            this.db,
            `INSERT OR REPLACE INTO ${table} (project_pk, ${column}, tool, sketch) VALUES (?, ?, ?, ?)`,
            projectPk,
            row.start,
            row.tool,
            row.sketch,
          );
      }
  }

  async loadUserEvents(userPks: number[]) {
    const out: ReturnType<typeof toUserEvent>[] = [];
    for (const pks of chunks(userPks))
      for (const row of all<UserEventRow>(
        this.db,
        `${USER_EVENT_FROM} WHERE l.user_pk IN (${marks(pks.length)})`,
        ...pks,
      ))
        out.push(toUserEvent(row));
    return out;
  }

  async loadToolCallUsers(projectPk: number, tool: string, from: number, to: number): Promise<string[]> {
    // The users active around the span, then each one's links in it (their (user, ts) index).
    return all<{ user_id: string }>(
      this.db,
      `SELECT DISTINCT u.user_id FROM users u
       JOIN event_links l ON l.user_pk = u.pk AND l.ts >= ? AND l.ts < ?
       JOIN events e ON e.pk = l.event_pk AND e.event_type = 'mcp:tools/call'
         AND coalesce(nullif(e.resource_name, ''), '(unknown)') = ?
       WHERE u.project_pk = ? AND u.last_seen >= ? AND u.first_seen < ?`,
      from,
      to,
      tool,
      projectPk,
      from,
      to,
    ).map((row) => row.user_id);
  }

  async advance(last: ChunkEvent): Promise<void> {
    run(
      this.db,
      "UPDATE derivation SET cursor = ?, reindex_to = CASE WHEN reindex_to <= ? THEN NULL ELSE reindex_to END",
      last.pk,
      last.pk,
    );
  }
}

function errorGroupPk(db: Db, projectPk: number, key: ErrorKey): number | undefined {
  return get<{ pk: number }>(
    db,
    "SELECT pk FROM error_groups WHERE project_pk = ? AND tool = ? AND message = ?",
    projectPk,
    key.tool,
    key.message,
  )?.pk;
}

/**
 * One chunk of the pass in one IMMEDIATE transaction: derived and committed, or nothing. `recent`:
 * events this connection appended, served without reading them back when they are next.
 */
export const sqliteChunk = (db: Db, limit: number, recent?: RecentEvents): Promise<ChunkResult> =>
  immediate(db, () => deriveChunk(new SqlitePass(db, recent), limit));
