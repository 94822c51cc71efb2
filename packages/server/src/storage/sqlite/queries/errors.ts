import { decodeCursor, encodeCursor } from "../../cursor.js";
import {
  type ErrorGroupRow,
  EVENT_COLUMNS,
  type EventRow,
  INTENT_COLUMNS,
  type IntentRow,
  toErrorGroup,
  toIntent,
  toStoredEvent,
} from "../../shared/rows.js";
import { hourBounds } from "../../time.js";
import type {
  ErrorGroup,
  ErrorListQuery,
  IntentItem,
  IntentListQuery,
  Page,
  TimeRange,
} from "../../types.js";
import { all, type Db, get } from "../db.js";

export function listErrorGroups(
  db: Db,
  projectPk: number,
  range: TimeRange,
  page: ErrorListQuery,
): Page<ErrorGroup> {
  const params: unknown[] = [projectPk, ...hourBounds(range)];
  const tool = page.tool ? "AND g.tool = ?" : "";
  if (page.tool) params.push(page.tool);
  let after = "";
  if (page.cursor) {
    const [count, pk] = decodeCursor(page.cursor, 2);
    after = "WHERE count < ? OR (count = ? AND pk > ?)";
    params.push(count, count, pk);
  }
  const rows = all<ErrorGroupRow>(
    db,
    `SELECT * FROM (
       SELECT g.*, sum(h.count) AS count FROM error_hours h JOIN error_groups g ON g.pk = h.group_pk
       WHERE h.project_pk = ? AND h.hour >= ? AND h.hour < ? ${tool} GROUP BY h.group_pk HAVING sum(h.count) > 0
     ) ${after} ORDER BY count DESC, pk LIMIT ?`,
    ...params,
    page.limit + 1,
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) =>
      toErrorGroup(row, row.sample_event_pk === null ? null : sampleEvent(db, row.sample_event_pk)),
    ),
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.count, last.pk]) : null,
  };
}

function sampleEvent(db: Db, eventPk: number): ErrorGroup["sample"] {
  const row = get<EventRow & { session_id: string; session_start: number }>(
    db,
    `SELECT ${EVENT_COLUMNS}, s.session_id AS session_id, s.first_seen AS session_start FROM events e
     JOIN event_links l ON l.event_pk = e.pk JOIN sessions s ON s.pk = l.session_pk
     LEFT JOIN users u ON u.pk = l.user_pk WHERE e.pk = ?`,
    eventPk,
  );
  return row ? { ...toStoredEvent(row, row.session_start), sessionId: row.session_id } : null;
}

export function listIntents(db: Db, projectPk: number, query: IntentListQuery): Page<IntentItem> {
  const where = [
    "e.project_pk = ?",
    "(e.user_intent IS NOT NULL OR e.resource_name = 'get_more_tools')",
    "e.ts >= ?",
    "e.ts < ?",
  ];
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  if (query.type === "intent") where.push("e.resource_name IS NOT 'get_more_tools'");
  if (query.type === "missing_tool") where.push("e.resource_name = 'get_more_tools'");
  if (query.cursor) {
    const [ts, pk] = decodeCursor(query.cursor, 2);
    where.push("(e.ts < ? OR (e.ts = ? AND e.pk < ?))");
    params.push(ts, ts, pk);
  }
  const rows = all<IntentRow & { pk: number }>(
    db,
    `SELECT ${INTENT_COLUMNS}, e.pk FROM events e INDEXED BY events_intents JOIN event_links l ON l.event_pk = e.pk
     JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE ${where.join(" AND ")} ORDER BY e.ts DESC, e.pk DESC LIMIT ?`,
    ...params,
    query.limit + 1,
  );
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(toIntent),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.ts, last.pk]) : null,
  };
}
