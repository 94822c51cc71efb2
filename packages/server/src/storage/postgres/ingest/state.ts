import type { Register } from "../../shared/hll.js";
import { type RollupKey, rollupKeyOf } from "../../shared/rollup-deltas.js";
import type { SessionTableRow } from "../../shared/rows.js";
import type { JsonObject } from "../../types.js";
import { all, fromJson, type Sql } from "../db.js";

/** One stored event of the batch, kept until it is written with its final session and user. */
export interface EventRecord {
  index: number;
  ts: number;
  userPk: number | null;
  isToolCall: boolean;
  isError: boolean;
  tool: string;
  errorKey: { tool: string; message: string } | null;
}

/** A session touched by the batch. `pk` is null until a new session is inserted at flush. */
export interface SessionState {
  pk: number | null;
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
  /** The stored row's window and event count before this batch (null for new sessions). */
  stored: { firstSeen: number; lastSeen: number; events: number } | null;
  /** This batch's events of the session, in order. */
  records: EventRecord[];
  /** The id of the stored session's user when it was loaded (its events' sketches need the id). */
  storedUserId: string | null;
}

/**
 * A user touched by the batch. Counters and first/last seen are deltas added atomically at flush;
 * the profile (name, data, profileAt) is the stored one, rewritten only when `profileChanged`
 * (its user id is advisory-locked for the batch, so the read-modify-write is safe).
 */
export interface UserState {
  pk: number;
  /** Set for a user this batch creates: the time of the first event naming them. */
  createdAt: number | null;
  userId: string;
  userName: string | null;
  userData: JsonObject | null;
  profileAt: number;
  profileChanged: boolean;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
  /** The user's place in the distinct-user sketches, computed on first use (userRegister). */
  register?: Register;
}

export interface SessionRow extends SessionTableRow<boolean> {
  /** The id of the session's user (joined), so that its events count for that user by name. */
  user_id: string | null;
}

export function sessionFromRow(row: SessionRow): SessionState {
  const state: SessionState = {
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
    stateless: row.stateless,
    groupKey: row.group_key,
    original: null,
    stored: { firstSeen: row.first_seen, lastSeen: row.last_seen, events: row.events },
    records: [],
    storedUserId: row.user_id,
  };
  state.original = rollupKeyOf(state);
  return state;
}

/**
 * The row of `table` whose `column` (unique with `project_pk = $1`) equals `k.id`: the body of a
 * `CROSS JOIN LATERAL` over `unnest(ids) AS k(id)`. Each id is then one probe of the unique index
 * whatever the table's statistics; `column = ANY(ids)` lets a generic plan on a table not yet
 * analysed (a new database in its first minute) scan every row of the project instead.
 */
export const byKey = (table: string, column: string, select: string): string =>
  `SELECT ${select} FROM ${table} WHERE project_pk = $1 AND ${column} = k.id LIMIT 1`;

/**
 * Sessions the batch may continue: by id, or open stateless groups overlapping its time span — by
 * key (`c:` groups), and every `u:<pk>:` group of the users named in `groupUserIds` (looked up
 * here, so this read needs no user keys and goes out in the same round trip as the user read).
 * Every lookup is a lateral index probe per key (`OFFSET 0` keeps the planner from flattening it
 * into a join that a table without statistics would scan). Rows may repeat; callers deduplicate
 * by `pk`.
 */
export function loadSessions(
  db: Sql,
  projectPk: number,
  sessionIds: string[],
  groupKeys: string[],
  groupUserIds: string[],
  earliestLast: number,
  latestFirst: number,
): Promise<SessionRow[]> {
  return all<SessionRow>(
    db,
    `SELECT s.*, (SELECT user_id FROM users WHERE pk = s.user_pk) AS user_id FROM (
       SELECT s.* FROM unnest($2::text[]) AS k(id) CROSS JOIN LATERAL (${byKey("sessions", "session_id", "*")}) s
       UNION ALL
       SELECT s.* FROM unnest($3::text[]) AS k(key) CROSS JOIN LATERAL (
         SELECT * FROM sessions WHERE project_pk = $1 AND group_key = k.key
           AND last_seen >= $5 AND first_seen <= $6 OFFSET 0) s
       UNION ALL
       SELECT s.* FROM unnest($4::text[]) AS k(id) CROSS JOIN LATERAL (${byKey("users", "user_id", "pk")}) u
       CROSS JOIN LATERAL (
         SELECT * FROM sessions WHERE project_pk = $1
           AND group_key >= ('u:' || u.pk || ':') COLLATE "C" AND group_key < ('u:' || u.pk || ';') COLLATE "C"
           AND last_seen >= $5 AND first_seen <= $6 OFFSET 0) s
     ) s`,
    [projectPk, sessionIds, groupKeys, groupUserIds, earliestLast, latestFirst],
  );
}

export interface UserRow {
  pk: number;
  user_id: string;
  user_name: string | null;
  user_data: string | null;
  profile_at: number;
}

/** The stored users among `userIds`, with their profiles (counters are kept as deltas). */
export function loadUsers(db: Sql, projectPk: number, userIds: string[]): Promise<UserRow[]> {
  return all<UserRow>(
    db,
    `SELECT u.* FROM unnest($2::text[]) AS k(id)
     CROSS JOIN LATERAL (${byKey("users", "user_id", "pk, user_id, user_name, user_data, profile_at")}) u`,
    [projectPk, userIds],
  );
}

export const userFromRow = (row: UserRow): UserState => ({
  ...emptyUser(row.pk, row.user_id),
  userName: row.user_name,
  userData: fromJson<JsonObject>(row.user_data),
  profileAt: row.profile_at,
});

/** A user the batch creates: named first by an event at `ts`, which is also its profile time. */
export const newUser = (pk: number, userId: string, ts: number): UserState => ({
  ...emptyUser(pk, userId),
  createdAt: ts,
  profileAt: ts,
});

export const emptyUser = (pk: number, userId: string): UserState => ({
  pk,
  createdAt: null,
  userId,
  userName: null,
  userData: null,
  profileAt: 0,
  profileChanged: false,
  firstSeen: Number.POSITIVE_INFINITY,
  lastSeen: Number.NEGATIVE_INFINITY,
  sessions: 0,
  toolCalls: 0,
  errors: 0,
  events: 0,
});
