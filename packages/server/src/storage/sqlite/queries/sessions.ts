import { decodeCursor, encodeCursor } from "../../cursor.js";
import {
  EVENT_COLUMNS,
  type EventRow,
  SESSION_COLUMNS,
  type SessionRow,
  toSessionSummary,
  toStoredEvent,
} from "../../shared/rows.js";
import type { Page, PageRequest, SessionListQuery, SessionSummary, SessionTimeline } from "../../types.js";
import { all, type Db, get } from "../db.js";

export function listSessions(db: Db, projectPk: number, query: SessionListQuery): Page<SessionSummary> {
  const where = ["s.project_pk = ?", "s.last_seen >= ?", "s.first_seen < ?"];
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  if (query.userId !== null) {
    const user = get<{ pk: number }>(
      db,
      "SELECT pk FROM users WHERE project_pk = ? AND user_id = ?",
      projectPk,
      query.userId,
    );
    if (!user) return { items: [], nextCursor: null };
    where.push("s.user_pk = ?");
    params.push(user.pk);
  }
  if (query.client !== null) {
    where.push("s.client_name = ?");
    params.push(query.client);
  }
  if (query.tool !== null) {
    where.push("EXISTS (SELECT 1 FROM session_tools st WHERE st.session_pk = s.pk AND st.tool = ?)");
    params.push(query.tool);
  }
  if (query.hasError !== null) where.push(query.hasError ? "s.errors > 0" : "s.errors = 0");
  if (query.stateless !== null) where.push(`s.stateless = ${query.stateless ? 1 : 0}`);
  if (query.anonymous !== null) where.push(query.anonymous ? "s.user_pk IS NULL" : "s.user_pk IS NOT NULL");
  if (query.cursor) {
    const [lastSeen, pk] = decodeCursor(query.cursor, 2);
    where.push("(s.last_seen < ? OR (s.last_seen = ? AND s.pk < ?))");
    params.push(lastSeen, lastSeen, pk);
  }
  const rows = all<SessionRow>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
     WHERE ${where.join(" AND ")} ORDER BY s.last_seen DESC, s.pk DESC LIMIT ?`,
    ...params,
    query.limit + 1,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSessionSummary),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.last_seen, last.pk]) : null,
  };
}

export function getSessionTimeline(
  db: Db,
  projectPk: number,
  sessionId: string,
  page: PageRequest,
): SessionTimeline | null {
  const session = get<SessionRow>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
     WHERE s.project_pk = ? AND s.session_id = ?`,
    projectPk,
    sessionId,
  );
  if (!session) return null;
  const where = ["l.session_pk = ?"];
  const params: unknown[] = [session.pk];
  if (page.cursor) {
    const [ts, pk] = decodeCursor(page.cursor, 2);
    where.push("(l.ts > ? OR (l.ts = ? AND l.event_pk > ?))");
    params.push(ts, ts, pk);
  }
  const rows = all<EventRow>(
    db,
    `SELECT ${EVENT_COLUMNS} FROM event_links l JOIN events e ON e.pk = l.event_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE ${where.join(" AND ")} ORDER BY l.ts, l.event_pk LIMIT ?`,
    ...params,
    page.limit + 1,
  );
  const events = rows.slice(0, page.limit);
  const last = events.at(-1);
  return {
    session: toSessionSummary(session),
    events: events.map((row) => toStoredEvent(row, session.first_seen)),
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.ts, last.pk]) : null,
  };
}
