import type pg from "pg";
import { encodeDelta, ToolUserDeltas } from "../../shared/tool-users.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import { all, run, type Sql } from "../db.js";

/**
 * Merges a batch's sketch deltas into the stored hour and day sketches in one statement. The
 * merge is `mcpsight_hll_apply` (register-wise max, see schema.ts) inside `ON CONFLICT DO
 * UPDATE`, so concurrent collectors never lose a register; rows go in key order.
 */
export function flushToolUsers(db: Sql, projectPk: number, deltas: ToolUserDeltas): Promise<unknown> {
  if (deltas.size === 0) return Promise.resolve();
  const { hours, days } = deltas.entries();
  return run(db, FLUSH_TOOL_USERS, [
    projectPk,
    hours.map((d) => d.start),
    hours.map((d) => d.tool),
    hours.map((d) => encodeDelta(d.ranks)),
    days.map((d) => d.start),
    days.map((d) => d.tool),
    days.map((d) => encodeDelta(d.ranks)),
  ]);
}

const FLUSH_TOOL_USERS = `
  WITH hour_rows AS (
    INSERT INTO tool_hour_users (project_pk, hour, tool, sketch)
    SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[])
    ON CONFLICT (project_pk, hour, tool) DO UPDATE
      SET sketch = mcpsight_hll_apply(tool_hour_users.sketch, excluded.sketch)
  )
  INSERT INTO tool_day_users (project_pk, day, tool, sketch)
  SELECT $1, * FROM unnest($5::bigint[], $6::text[], $7::bytea[])
  ON CONFLICT (project_pk, day, tool) DO UPDATE
    SET sketch = mcpsight_hll_apply(tool_day_users.sketch, excluded.sketch)`;

/** Builds the sketches from the stored tool calls (the migration that introduced them), a day at a time. */
export async function backfillToolUsers(client: pg.PoolClient): Promise<void> {
  const span = await all<{ first: string | null; last: string | null }>(
    client,
    "SELECT min(ts) AS first, max(ts) AS last FROM events WHERE event_type = 'mcp:tools/call' AND user_pk IS NOT NULL",
  );
  const first = span[0]?.first;
  const last = span[0]?.last;
  if (first === null || first === undefined || last === null || last === undefined) return;
  for (let day = floorTo(Number(first), DAY_MS); day <= Number(last); day += DAY_MS) {
    const rows = await all<{ project_pk: string; hour: string; tool: string; user_id: string }>(
      client,
      `SELECT e.project_pk, e.ts / ${HOUR_MS} * ${HOUR_MS} AS hour,
         coalesce(nullif(e.resource_name, ''), '(unknown)') AS tool, u.user_id
       FROM events e JOIN users u ON u.pk = e.user_pk
       WHERE e.ts >= $1 AND e.ts < $2 AND e.event_type = 'mcp:tools/call'
       GROUP BY 1, 2, 3, 4`,
      [day, day + DAY_MS],
    );
    const byProject = new Map<number, ToolUserDeltas>();
    for (const row of rows) {
      const projectPk = Number(row.project_pk);
      let deltas = byProject.get(projectPk);
      if (!deltas) {
        deltas = new ToolUserDeltas();
        byProject.set(projectPk, deltas);
      }
      deltas.add(Number(row.hour), row.tool, row.user_id);
    }
    for (const [projectPk, deltas] of byProject) await flushToolUsers(client, projectPk, deltas);
  }
}
