import { encodeCursor } from "../../cursor.js";
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
import { all, get, type Sql } from "../db.js";
import { decodeTypedCursor, param } from "./params.js";

const SORT_COLUMNS = {
  lastSeen: "last_seen",
  sessions: "sessions",
  toolCalls: "tool_calls",
  errors: "errors",
};

export async function listUsers(
  db: Sql,
  projectPk: number,
  query: UserListQuery,
): Promise<Page<UserListItem>> {
  const column = SORT_COLUMNS[query.sort];
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  const where = ["project_pk = $1", "last_seen >= $2", "first_seen < $3"];
  if (query.search) {
    // ILIKE: case-insensitive like SQLite's LIKE.
    const pattern = param(params, `%${escapeLike(query.search)}%`);
    where.push(`(user_id ILIKE ${pattern} ESCAPE '\\' OR user_name ILIKE ${pattern} ESCAPE '\\')`);
  }
  if (query.cursor) {
    const [value, userId] = decodeTypedCursor(query.cursor, ["n", "s"]);
    const v = param(params, value);
    where.push(`(${column} < ${v} OR (${column} = ${v} AND user_id > ${param(params, userId)}))`);
  }
  const rows = await all<UserRow & Record<string, number>>(
    db,
    `SELECT * FROM users WHERE ${where.join(" AND ")} ORDER BY ${column} DESC, user_id LIMIT ${param(params, query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const clients = await clientsOf(
    db,
    page.map((row) => Number(row.pk)),
  );
  return {
    items: page.map((row) => ({ ...toUserSummary(row), clients: clients.get(Number(row.pk)) ?? [] })),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last[column] ?? 0, last.user_id]) : null,
  };
}

/** Up to 5 clients (name, version) per user, most recently seen first, for one page of users. */
async function clientsOf(db: Sql, userPks: number[]): Promise<Map<number, UserListItem["clients"]>> {
  const out = new Map<number, UserListItem["clients"]>();
  if (userPks.length === 0) return out;
  const rows = await all<{ user_pk: number; client_name: string; client_version: string }>(
    db,
    `SELECT user_pk, client_name, client_version FROM user_clients WHERE user_pk = ANY($1::bigint[])
     ORDER BY user_pk, last_at DESC, client_name, client_version`,
    [userPks],
  );
  for (const row of rows) {
    const pk = Number(row.user_pk);
    const list = out.get(pk) ?? [];
    if (list.length < MAX_CLIENTS)
      list.push({ name: row.client_name || null, version: row.client_version || null });
    out.set(pk, list);
  }
  return out;
}

const MAX_CLIENTS = 5;

export async function getUserProfile(
  db: Sql,
  projectPk: number,
  userId: string,
  range: TimeRange,
): Promise<UserProfile | null> {
  const user = await get<UserRow>(db, "SELECT * FROM users WHERE project_pk = $1 AND user_id = $2", [
    projectPk,
    userId,
  ]);
  if (!user) return null;
  const inRange = [user.pk, range.from, range.to];
  const [clients, days, sessions, topTools, recentErrors, intents] = await Promise.all([
    all<{ client_name: string; client_version: string; first_at: number; last_at: number }>(
      db,
      "SELECT * FROM user_clients WHERE user_pk = $1 ORDER BY last_at DESC",
      [user.pk],
    ),
    all<{ day: number; tool_calls: number; errors: number }>(
      db,
      `SELECT (l.ts / ${DAY_MS}) * ${DAY_MS} AS day,
         count(*) FILTER (WHERE e.event_type = 'mcp:tools/call') AS tool_calls,
         count(*) FILTER (WHERE e.event_type = 'mcp:tools/call' AND e.is_error) AS errors
       FROM event_links l JOIN events e ON e.pk = l.event_pk
       WHERE l.user_pk = $1 AND l.ts >= $2 AND l.ts < $3 GROUP BY day`,
      inRange,
    ),
    all<SessionRow>(
      db,
      `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
       WHERE s.user_pk = $1 AND s.last_seen >= $2 AND s.first_seen < $3 ORDER BY s.last_seen DESC, s.pk DESC LIMIT 20`,
      inRange,
    ),
    all<{ tool: string; calls: number; errors: number; last_at: number }>(
      db,
      "SELECT tool, calls, errors, last_at FROM user_tools WHERE user_pk = $1 ORDER BY calls DESC, tool LIMIT 10",
      [user.pk],
    ),
    all<EventRow & { session_id: string; session_start: number }>(
      db,
      `SELECT ${EVENT_COLUMNS}, s.session_id AS session_id, s.first_seen AS session_start FROM event_links l
       JOIN events e ON e.pk = l.event_pk JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
       WHERE l.user_pk = $1 AND l.ts >= $2 AND l.ts < $3 AND e.is_error ORDER BY l.ts DESC LIMIT 20`,
      inRange,
    ),
    all<IntentRow>(
      db,
      `SELECT ${INTENT_COLUMNS} FROM event_links l JOIN events e ON e.pk = l.event_pk
       JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
       WHERE l.user_pk = $1 AND l.ts >= $2 AND l.ts < $3
         AND (e.user_intent IS NOT NULL OR e.resource_name = 'get_more_tools') ORDER BY l.ts DESC LIMIT 20`,
      inRange,
    ),
  ]);
  const activity = new Map(
    days.map((row) => [row.day, { toolCalls: row.tool_calls, errors: row.errors }] as const),
  );
  return {
    user: toUserSummary(user),
    clients: clients.map((row) => ({
      name: row.client_name || null,
      version: row.client_version || null,
      firstSeen: iso(row.first_at),
      lastSeen: iso(row.last_at),
    })),
    activity: fillSeries(bucketStarts(range.from, range.to, "day"), activity, () => ({
      toolCalls: 0,
      errors: 0,
    })),
    sessions: sessions.map(toSessionSummary),
    topTools: topTools.map((row) => ({
      name: row.tool,
      calls: row.calls,
      errors: row.errors,
      lastUsed: iso(row.last_at),
    })),
    recentErrors: recentErrors.map((row) => ({
      ...toStoredEvent(row, row.session_start),
      sessionId: row.session_id,
    })),
    intents: intents.map(toIntent),
  };
}
