import { decodeCursor, encodeCursor } from "../../cursor.js";
import { escapeLike } from "../../shared/index.js";
import {
  EVENT_COLUMNS,
  type EventRow,
  INTENT_COLUMNS,
  type IntentRow,
  SESSION_COLUMNS,
  type SessionRow,
  toIntent,
  toSessionSummary,
  toStoredEvent,
  toUserSummary,
  type UserRow,
} from "../../shared/rows.js";
import { bucketStarts, DAY_MS, fillSeries, iso } from "../../time.js";
import type { Page, TimeRange, UserListItem, UserListQuery, UserProfile } from "../../types.js";
import { all, type Db, get } from "../db.js";

const SORT_COLUMNS = {
  lastSeen: "last_seen",
  sessions: "sessions",
  toolCalls: "tool_calls",
  errors: "errors",
};

export function listUsers(db: Db, projectPk: number, query: UserListQuery): Page<UserListItem> {
  const column = SORT_COLUMNS[query.sort];
  // Sorted by a counter, the walk follows that counter's index and stops after a page; the unary
  // "+" keeps the planner from preferring a range scan of first/last seen plus a full sort.
  const where =
    column === "last_seen"
      ? ["project_pk = ?", "last_seen >= ?", "first_seen < ?"]
      : ["project_pk = ?", "+last_seen >= ?", "+first_seen < ?"];
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  if (query.search && [...query.search].length >= 3 && !query.search.includes("\u0000")) {
    // The FTS5 trigram index finds substrings (case-insensitive) of 3+ characters. Its query
    // syntax ends a string at a NUL, so a search with one takes the LIKE path below.
    where.push("pk IN (SELECT rowid FROM users_search WHERE users_search MATCH ?)");
    params.push(`"${query.search.replace(/"/g, '""')}"`);
  } else if (query.search) {
    where.push("(user_id LIKE ? ESCAPE '\\' OR user_name LIKE ? ESCAPE '\\')");
    const pattern = `%${escapeLike(query.search)}%`;
    params.push(pattern, pattern);
  }
  if (query.cursor) {
    const [value, userId] = decodeCursor(query.cursor, 2);
    where.push(`(${column} < ? OR (${column} = ? AND user_id > ?))`);
    params.push(value, value, userId);
  }
  const rows = all<UserRow & Record<string, number>>(
    db,
    `SELECT * FROM users WHERE ${where.join(" AND ")} ORDER BY ${column} DESC, user_id LIMIT ?`,
    ...params,
    query.limit + 1,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const clients = clientsOf(
    db,
    page.map((row) => row.pk),
  );
  return {
    items: page.map((row) => ({ ...toUserSummary(row), clients: clients.get(row.pk) ?? [] })),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last[column] ?? 0, last.user_id]) : null,
  };
}

/** Up to 5 clients (name, version) per user, most recently seen first, for one page of users. */
function clientsOf(db: Db, userPks: number[]): Map<number, UserListItem["clients"]> {
  const out = new Map<number, UserListItem["clients"]>();
  if (userPks.length === 0) return out;
  const rows = all<{ user_pk: number; client_name: string; client_version: string }>(
    db,
    `SELECT user_pk, client_name, client_version FROM user_clients
     WHERE user_pk IN (${userPks.map(() => "?").join(", ")}) ORDER BY user_pk, last_at DESC, client_name, client_version`,
    ...userPks,
  );
  for (const row of rows) {
    const list = out.get(row.user_pk) ?? [];
    if (list.length < MAX_CLIENTS)
      list.push({ name: row.client_name || null, version: row.client_version || null });
    out.set(row.user_pk, list);
  }
  return out;
}

const MAX_CLIENTS = 5;

export function getUserProfile(
  db: Db,
  projectPk: number,
  userId: string,
  range: TimeRange,
): UserProfile | null {
  const user = get<UserRow>(
    db,
    "SELECT * FROM users WHERE project_pk = ? AND user_id = ?",
    projectPk,
    userId,
  );
  if (!user) return null;
  const inRange = [range.from, range.to];
  const clients = all<{ client_name: string; client_version: string; first_at: number; last_at: number }>(
    db,
    "SELECT * FROM user_clients WHERE user_pk = ? ORDER BY last_at DESC",
    user.pk,
  ).map((row) => ({
    name: row.client_name || null,
    version: row.client_version || null,
    firstSeen: iso(row.first_at),
    lastSeen: iso(row.last_at),
  }));
  const days = new Map(
    all<{ day: number; toolCalls: number; errors: number }>(
      db,
      `SELECT (l.ts / ${DAY_MS}) * ${DAY_MS} AS day, sum(e.event_type = 'mcp:tools/call') AS toolCalls,
         sum(e.event_type = 'mcp:tools/call' AND e.is_error = 1) AS errors
       FROM event_links l JOIN events e ON e.pk = l.event_pk
       WHERE l.user_pk = ? AND l.ts >= ? AND l.ts < ? GROUP BY day`,
      user.pk,
      ...inRange,
    ).map((row) => [row.day, { toolCalls: row.toolCalls, errors: row.errors }] as const),
  );
  const sessions = all<SessionRow>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
     WHERE s.user_pk = ? AND s.last_seen >= ? AND s.first_seen < ? ORDER BY s.last_seen DESC, s.pk DESC LIMIT 20`,
    user.pk,
    ...inRange,
  ).map(toSessionSummary);
  const topTools = all<{ tool: string; calls: number; errors: number; last_at: number }>(
    db,
    "SELECT tool, calls, errors, last_at FROM user_tools WHERE user_pk = ? ORDER BY calls DESC, tool LIMIT 10",
    user.pk,
  ).map((row) => ({ name: row.tool, calls: row.calls, errors: row.errors, lastUsed: iso(row.last_at) }));
  const recentErrors = all<EventRow & { session_id: string; session_start: number }>(
    db,
    `SELECT ${EVENT_COLUMNS}, s.session_id AS session_id, s.first_seen AS session_start FROM event_links l
     JOIN events e ON e.pk = l.event_pk JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE l.user_pk = ? AND l.ts >= ? AND l.ts < ? AND e.is_error = 1 ORDER BY l.ts DESC LIMIT 20`,
    user.pk,
    ...inRange,
  ).map((row) => ({ ...toStoredEvent(row, row.session_start), sessionId: row.session_id }));
  const intents = all<IntentRow>(
    db,
    `SELECT ${INTENT_COLUMNS} FROM event_links l JOIN events e ON e.pk = l.event_pk
     JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE l.user_pk = ? AND l.ts >= ? AND l.ts < ?
       AND (e.user_intent IS NOT NULL OR e.resource_name = 'get_more_tools') ORDER BY l.ts DESC LIMIT 20`,
    user.pk,
    ...inRange,
  ).map(toIntent);
  return {
    user: toUserSummary(user),
    clients,
    activity: fillSeries(bucketStarts(range.from, range.to, "day"), days, () => ({
      toolCalls: 0,
      errors: 0,
    })),
    sessions,
    topTools,
    recentErrors,
    intents,
  };
}
