import type { Register } from "../../shared/hll.js";
import { type RollupKey, rollupKeyOf } from "../../shared/rollup-deltas.js";
import type { SessionTableRow, UserRow as UserTableRow } from "../../shared/rows.js";
import type { JsonObject } from "../../types.js";
import { type Db, fromJson, get, run, updateChanged } from "../db.js";

/** A session row loaded into memory for the duration of one batch. */
export interface SessionState {
  pk: number;
  sessionId: string;
  userPk: number | null;
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
  groupKey: string | null;
  /** What this session contributed to the hourly session/client rollups when loaded. */
  original: RollupKey | null;
  /** The row as stored, so that saving assigns only the columns that changed. */
  stored: SavedSession;
}

type SavedSession = Readonly<Pick<SessionState, (typeof SESSION_COLUMNS)[number][0]>>;

/** The columns a batch can change: [state field, column]. */
const SESSION_COLUMNS = [
  ["userPk", "user_pk"],
  ["clientName", "client_name"],
  ["clientVersion", "client_version"],
  ["serverName", "server_name"],
  ["serverVersion", "server_version"],
  ["firstSeen", "first_seen"],
  ["lastSeen", "last_seen"],
  ["events", "events"],
  ["toolCalls", "tool_calls"],
  ["errors", "errors"],
] as const;

const snapshotSession = (s: SavedSession): SavedSession => ({
  userPk: s.userPk,
  clientName: s.clientName,
  clientVersion: s.clientVersion,
  serverName: s.serverName,
  serverVersion: s.serverVersion,
  firstSeen: s.firstSeen,
  lastSeen: s.lastSeen,
  events: s.events,
  toolCalls: s.toolCalls,
  errors: s.errors,
});

export interface UserState {
  pk: number;
  userId: string;
  userName: string | null;
  userData: JsonObject | null;
  profileAt: number;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
  /** The row as stored (user_data as its JSON text), so that saving assigns only what changed. */
  stored: UserRow;
  /** The user's place in the distinct-user sketches, computed on first use. */
  register?: Register;
}

type SessionRow = SessionTableRow<number>;

export function sessionFromRow(row: SessionRow): SessionState {
  const state: Omit<SessionState, "stored"> = {
    pk: row.pk,
    sessionId: row.session_id,
    userPk: row.user_pk,
    clientName: row.client_name,
    clientVersion: row.client_version,
    serverName: row.server_name,
    serverVersion: row.server_version,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    events: row.events,
    toolCalls: row.tool_calls,
    errors: row.errors,
    stateless: row.stateless === 1,
    groupKey: row.group_key,
    original: null,
  };
  state.original = rollupKeyOf(state);
  return { ...state, stored: snapshotSession(state) };
}

export function loadSessionById(db: Db, projectPk: number, sessionId: string): SessionState | null {
  const row = get<SessionRow>(
    db,
    "SELECT * FROM sessions WHERE project_pk = ? AND session_id = ?",
    projectPk,
    sessionId,
  );
  return row ? sessionFromRow(row) : null;
}

export function findGroupSession(
  db: Db,
  projectPk: number,
  groupKey: string,
  earliestLast: number,
  latestFirst: number,
): SessionState | null {
  const row = get<SessionRow>(
    db,
    `SELECT * FROM sessions WHERE project_pk = ? AND group_key = ? AND last_seen >= ? AND first_seen <= ?
     ORDER BY last_seen DESC LIMIT 1`,
    projectPk,
    groupKey,
    earliestLast,
    latestFirst,
  );
  return row ? sessionFromRow(row) : null;
}

/** The most recent session whose group key starts with `prefix` (a user's `u:<pk>:`) in the window. */
export function findLatestUserGroupSession(
  db: Db,
  projectPk: number,
  prefix: string,
  earliestLast: number,
  latestFirst: number,
): SessionState | null {
  // Group keys of one user share the prefix, which ends in ":"; ";" sorts right after it, so the
  // range holds exactly that user's keys and keeps the (project, group_key) index usable.
  const row = get<SessionRow>(
    db,
    `SELECT * FROM sessions WHERE project_pk = ? AND group_key >= ? AND group_key < ?
       AND last_seen >= ? AND first_seen <= ? ORDER BY last_seen DESC LIMIT 1`,
    projectPk,
    prefix,
    `${prefix.slice(0, -1)};`,
    earliestLast,
    latestFirst,
  );
  return row ? sessionFromRow(row) : null;
}

export function insertSession(
  db: Db,
  projectPk: number,
  init: Omit<SessionState, "pk" | "original" | "stored" | "events" | "toolCalls" | "errors">,
): SessionState {
  const result = run(
    db,
    `INSERT INTO sessions (project_pk, session_id, user_pk, client_name, client_version, server_name,
       server_version, first_seen, last_seen, stateless, group_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    projectPk,
    init.sessionId,
    init.userPk,
    init.clientName,
    init.clientVersion,
    init.serverName,
    init.serverVersion,
    init.firstSeen,
    init.lastSeen,
    init.stateless ? 1 : 0,
    init.groupKey,
  );
  const state = {
    ...init,
    pk: Number(result.lastInsertRowid),
    events: 0,
    toolCalls: 0,
    errors: 0,
    original: null,
  };
  return { ...state, stored: snapshotSession(state) };
}

/** Writes the session's changed columns. */
export function saveSession(db: Db, s: SessionState): void {
  const stored = s.stored;
  updateChanged(
    db,
    "sessions",
    s.pk,
    SESSION_COLUMNS.map(([field, column]) => [column, s[field], stored[field]] as const),
  );
  s.stored = snapshotSession(s);
}

/** A users row as the writer loads it: what the queries read, plus the profile's time. */
interface UserRow extends UserTableRow {
  profile_at: number;
}

const userFromRow = (row: UserRow): UserState => ({
  stored: row,
  pk: row.pk,
  userId: row.user_id,
  userName: row.user_name,
  userData: fromJson<JsonObject>(row.user_data),
  profileAt: row.profile_at,
  firstSeen: row.first_seen,
  lastSeen: row.last_seen,
  sessions: row.sessions,
  toolCalls: row.tool_calls,
  errors: row.errors,
  events: row.events,
});

/** Loads a user, creating the row when the id is new. */
export function loadOrCreateUser(db: Db, projectPk: number, userId: string, ts: number): UserState {
  const row =
    get<UserRow>(db, "SELECT * FROM users WHERE project_pk = ? AND user_id = ?", projectPk, userId) ??
    (get<UserRow>(
      db,
      `INSERT INTO users (project_pk, user_id, profile_at, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       RETURNING *`,
      projectPk,
      userId,
      ts,
      ts,
      ts,
    ) as UserRow);
  return userFromRow(row);
}

export function loadUserByPk(db: Db, pk: number): UserState {
  return userFromRow(get<UserRow>(db, "SELECT * FROM users WHERE pk = ?", pk) as UserRow);
}

/** Writes the user's changed columns. */
export function saveUser(db: Db, u: UserState): void {
  const stored = u.stored;
  const row: UserRow = {
    pk: u.pk,
    user_id: u.userId,
    user_name: u.userName,
    user_data: u.userData === null ? null : JSON.stringify(u.userData),
    profile_at: u.profileAt,
    first_seen: u.firstSeen,
    last_seen: u.lastSeen,
    sessions: u.sessions,
    tool_calls: u.toolCalls,
    errors: u.errors,
    events: u.events,
  };
  updateChanged(
    db,
    "users",
    u.pk,
    USER_COLUMNS.map((column) => [column, row[column], stored[column]] as const),
  );
  if (row.user_name !== stored.user_name) {
    run(
      db,
      "INSERT INTO users_search (users_search, rowid, user_id, user_name) VALUES ('delete', ?, ?, ?)",
      u.pk,
      stored.user_id,
      stored.user_name,
    );
    run(
      db,
      "INSERT INTO users_search (rowid, user_id, user_name) VALUES (?, ?, ?)",
      u.pk,
      u.userId,
      u.userName,
    );
  }
  u.stored = row;
}

const USER_COLUMNS = [
  "user_name",
  "user_data",
  "profile_at",
  "first_seen",
  "last_seen",
  "sessions",
  "tool_calls",
  "errors",
  "events",
] as const;
