import { encodeCursor } from "../../cursor.js";
import {
  EVENT_COLUMNS,
  type EventRow,
  SESSION_COLUMNS,
  type SessionRow,
  toSessionSummary,
  toStoredEvent,
} from "../../shared/rows.js";
import type { Page, PageRequest, SessionListQuery, SessionSummary, SessionTimeline } from "../../types.js";
import { all, get, type Sql } from "../db.js";
import { decodeTypedCursor, param } from "./params.js";

export async function listSessions(
  db: Sql,
  projectPk: number,
  query: SessionListQuery,
): Promise<Page<SessionSummary>> {
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  const where = ["s.project_pk = $1", "s.last_seen >= $2", "s.first_seen < $3"];
  if (query.userId !== null) {
    const user = await get<{ pk: number }>(
      db,
      "SELECT pk FROM users WHERE project_pk = $1 AND user_id = $2",
      [projectPk, query.userId],
    );
    if (!user) return { items: [], nextCursor: null };
    where.push(`s.user_pk = ${param(params, user.pk)}`);
  }
  if (query.client !== null) where.push(`s.client_name = ${param(params, query.client)}`);
  if (query.tool !== null) where.push(`${param(params, query.tool)} = ANY(s.tools)`);
  if (query.hasError !== null) where.push(query.hasError ? "s.errors > 0" : "s.errors = 0");
  if (query.stateless !== null) where.push(query.stateless ? "s.stateless" : "NOT s.stateless");
  if (query.anonymous !== null) where.push(query.anonymous ? "s.user_pk IS NULL" : "s.user_pk IS NOT NULL");
  if (query.cursor) {
    const [lastSeen, pk] = decodeTypedCursor(query.cursor, ["n", "n"]);
    const v = param(params, lastSeen);
    where.push(`(s.last_seen < ${v} OR (s.last_seen = ${v} AND s.pk < ${param(params, pk)}))`);
  }
  const rows = await all<SessionRow>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
     WHERE ${where.join(" AND ")} ORDER BY s.last_seen DESC, s.pk DESC LIMIT ${param(params, query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSessionSummary),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.last_seen, last.pk]) : null,
  };
}

export async function getSessionTimeline(
  db: Sql,
  projectPk: number,
  sessionId: string,
  page: PageRequest,
): Promise<SessionTimeline | null> {
  const session = await get<SessionRow>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk
     WHERE s.project_pk = $1 AND s.session_id = $2`,
    [projectPk, sessionId],
  );
  if (!session) return null;
  const params: unknown[] = [session.pk];
  const where = ["l.session_pk = $1"];
  if (page.cursor) {
    const [ts, pk] = decodeTypedCursor(page.cursor, ["n", "n"]);
    const v = param(params, ts);
    where.push(`(l.ts > ${v} OR (l.ts = ${v} AND l.event_pk > ${param(params, pk)}))`);
  }
  const rows = await all<EventRow>(
    db,
    `SELECT ${EVENT_COLUMNS} FROM event_links l JOIN events e ON e.pk = l.event_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE ${where.join(" AND ")} ORDER BY l.ts, l.event_pk LIMIT ${param(params, page.limit + 1)}`,
    params,
  );
  const events = rows.slice(0, page.limit);
  const last = events.at(-1);
  return {
    session: toSessionSummary(session),
    events: events.map((row) => toStoredEvent(row, session.first_seen)),
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.ts, last.pk]) : null,
  };
}
