import { encodeCursor } from "../../cursor.js";
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
import { all, type Sql } from "../db.js";
import { decodeTypedCursor, param } from "./params.js";

export async function listErrorGroups(
  db: Sql,
  projectPk: number,
  range: TimeRange,
  page: ErrorListQuery,
): Promise<Page<ErrorGroup>> {
  const params: unknown[] = [projectPk, ...hourBounds(range)];
  const tool = page.tool ? `AND g.tool = ${param(params, page.tool)}` : "";
  let after = "";
  if (page.cursor) {
    const [count, pk] = decodeTypedCursor(page.cursor, ["n", "n"]);
    const c = param(params, count);
    after = `WHERE count < ${c} OR (count = ${c} AND pk > ${param(params, pk)})`;
  }
  const rows = await all<ErrorGroupRow>(
    db,
    `SELECT * FROM (
       SELECT g.*, sum(h.count) AS count FROM error_hours h JOIN error_groups g ON g.pk = h.group_pk
       WHERE h.project_pk = $1 AND h.hour >= $2 AND h.hour < $3 ${tool} GROUP BY g.pk HAVING sum(h.count) > 0
     ) grouped ${after} ORDER BY count DESC, pk LIMIT ${param(params, page.limit + 1)}`,
    params,
  );
  const items = rows.slice(0, page.limit);
  const samples = await sampleEvents(
    db,
    items.flatMap((row) => (row.sample_event_pk === null ? [] : [row.sample_event_pk])),
  );
  const last = items.at(-1);
  return {
    items: items.map((row) =>
      toErrorGroup(row, (row.sample_event_pk === null ? null : samples.get(row.sample_event_pk)) ?? null),
    ),
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.count, last.pk]) : null,
  };
}

/** The sample events of a page of groups, in one query. */
async function sampleEvents(
  db: Sql,
  eventPks: number[],
): Promise<Map<number, NonNullable<ErrorGroup["sample"]>>> {
  if (eventPks.length === 0) return new Map();
  const rows = await all<EventRow & { session_id: string; session_start: number }>(
    db,
    `SELECT ${EVENT_COLUMNS}, s.session_id AS session_id, s.first_seen AS session_start FROM events e
     JOIN event_links l ON l.event_pk = e.pk JOIN sessions s ON s.pk = l.session_pk
     LEFT JOIN users u ON u.pk = l.user_pk WHERE e.pk = ANY($1::bigint[])`,
    [eventPks],
  );
  return new Map(
    rows.map((row) => [row.pk, { ...toStoredEvent(row, row.session_start), sessionId: row.session_id }]),
  );
}

export async function listIntents(
  db: Sql,
  projectPk: number,
  query: IntentListQuery,
): Promise<Page<IntentItem>> {
  const params: unknown[] = [projectPk, query.range.from, query.range.to];
  const where = [
    "e.project_pk = $1",
    "(e.user_intent IS NOT NULL OR e.resource_name = 'get_more_tools')",
    "e.ts >= $2",
    "e.ts < $3",
  ];
  if (query.type === "intent") where.push("e.resource_name IS DISTINCT FROM 'get_more_tools'");
  if (query.type === "missing_tool") where.push("e.resource_name = 'get_more_tools'");
  if (query.cursor) {
    const [ts, pk] = decodeTypedCursor(query.cursor, ["n", "n"]);
    const t = param(params, ts);
    where.push(`(e.ts < ${t} OR (e.ts = ${t} AND e.pk < ${param(params, pk)}))`);
  }
  const rows = await all<IntentRow & { pk: number }>(
    db,
    `SELECT ${INTENT_COLUMNS}, e.pk FROM events e JOIN event_links l ON l.event_pk = e.pk
     JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk
     WHERE ${where.join(" AND ")} ORDER BY e.ts DESC, e.pk DESC
     LIMIT ${param(params, query.limit + 1)}`,
    params,
  );
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(toIntent),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.ts, last.pk]) : null,
  };
}
