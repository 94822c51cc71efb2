import type { Database } from "better-sqlite3";
import { mergeDelta, ToolUserDeltas } from "../../shared/tool-users.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import { all, get, insertRows } from "../db.js";

const TABLES = [
  { table: "tool_hour_users", column: "hour", size: HOUR_MS },
  { table: "tool_day_users", column: "day", size: DAY_MS },
] as const;
/** A batch spanning at most this many hours (days) reads its stored sketches with one query. */
const SPAN_READ_LIMIT = 48;

/**
 * Merges a batch's sketch deltas into the stored hour and day sketches: the stored rows of the
 * batch's span are read at once, merged in memory, and only the rows whose registers grew are
 * written back (one multi-row statement).
 */
export function flushToolUsers(db: Database, projectPk: number, deltas: ToolUserDeltas): void {
  if (deltas.size === 0) return;
  const { hours, days } = deltas.entries();
  for (const [{ table, column, size }, list] of [
    [TABLES[0], hours],
    [TABLES[1], days],
  ] as const) {
    if (list.length === 0) continue;
    const first = Math.min(...list.map((d) => d.start));
    const last = Math.max(...list.map((d) => d.start));
    const stored = new Map<string, Uint8Array>();
    const keyOf = (start: number, tool: string) => `${start}\u0000${tool}`;
    if ((last - first) / size <= SPAN_READ_LIMIT) {
      const rows = all<{ start: number; tool: string; sketch: Uint8Array }>(
        db,
        `SELECT ${column} AS start, tool, sketch FROM ${table} WHERE project_pk = ? AND ${column} >= ? AND ${column} <= ?`,
        projectPk,
        first,
        last,
      );
      for (const row of rows) stored.set(keyOf(row.start, row.tool), row.sketch);
    } else {
      for (const d of list) {
        const row = get<{ sketch: Uint8Array }>(
          db,
          `SELECT sketch FROM ${table} WHERE project_pk = ? AND ${column} = ? AND tool = ?`,
          projectPk,
          d.start,
          d.tool,
        );
        if (row) stored.set(keyOf(d.start, d.tool), row.sketch);
      }
    }
    const values: unknown[] = [];
    for (const d of list) {
      const merged = mergeDelta(stored.get(keyOf(d.start, d.tool)) ?? null, d.ranks);
      if (merged) values.push(projectPk, d.start, d.tool, merged);
    }
    insertRows(
      db,
      `INSERT INTO ${table} (project_pk, ${column}, tool, sketch) VALUES`,
      4,
      values,
      "ON CONFLICT DO UPDATE SET sketch = excluded.sketch",
    );
  }
  deltas.clear();
}

/**
 * Builds the sketches from the stored tool calls (the migration that introduced them): the
 * distinct (project, hour, tool, user) of every call, read back in hour order a chunk at a time
 * and written a day at a time, so memory holds one day's sketches.
 */
export function backfillToolUsers(db: Database): void {
  db.exec(`CREATE TEMP TABLE backfill_tool_users AS
    SELECT e.project_pk, e.ts / ${HOUR_MS} * ${HOUR_MS} AS hour,
      coalesce(nullif(e.resource_name, ''), '(unknown)') AS tool, e.user_pk
    FROM events e WHERE e.event_type = 'mcp:tools/call' AND e.user_pk IS NOT NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 2`);
  const byProject = new Map<number, ToolUserDeltas>();
  const flushAll = () => {
    for (const [projectPk, deltas] of byProject) flushToolUsers(db, projectPk, deltas);
    byProject.clear();
  };
  const chunk = db.prepare(
    `SELECT b.rowid AS id, b.project_pk AS projectPk, b.hour, b.tool, u.user_id AS userId
     FROM backfill_tool_users b JOIN users u ON u.pk = b.user_pk WHERE b.rowid > ? ORDER BY b.rowid LIMIT 20000`,
  );
  let day = Number.NEGATIVE_INFINITY;
  let after = 0;
  for (;;) {
    const rows = chunk.all(after) as {
      id: number;
      projectPk: number;
      hour: number;
      tool: string;
      userId: string;
    }[];
    if (rows.length === 0) break;
    for (const row of rows) {
      const rowDay = floorTo(row.hour, DAY_MS);
      if (rowDay !== day) {
        flushAll();
        day = rowDay;
      }
      let deltas = byProject.get(row.projectPk);
      if (!deltas) {
        deltas = new ToolUserDeltas();
        byProject.set(row.projectPk, deltas);
      }
      deltas.add(row.hour, row.tool, row.userId);
    }
    after = (rows.at(-1) as { id: number }).id;
  }
  flushAll();
  db.exec("DROP TABLE backfill_tool_users");
}
