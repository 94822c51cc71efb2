import type pg from "pg";
import { encodeDelta, mergeDelta, type SketchDelta, ToolUserDeltas } from "../../shared/tool-users.js";
import { DAY_MS, floorTo, HOUR_MS } from "../../time.js";
import { all, run, type Sql } from "../db.js";

/**
 * Merges a batch's sketch deltas into the stored hour and day sketches in one statement. The
 * merge is `mcpsight_hll_apply` (register-wise max, see schema.ts) inside `ON CONFLICT DO
 * UPDATE`, so concurrent writers never lose a register; rows go in key order. The backfill of
 * the migration that introduced the sketches uses it (collectors of the version before may still
 * be writing); the pass merges in memory (`mergeToolUsers`).
 */
export function flushToolUsers(db: Sql, projectPk: number, deltas: ToolUserDeltas): Promise<unknown> {
  if (deltas.size === 0) return Promise.resolve();
  const { hours, days } = deltas.entries();
  return writeSketches(db, APPLY, projectPk, hours, days, (d) => encodeDelta(d.ranks));
}

/**
 * Merges a chunk's sketch deltas into the stored hour and day sketches where nothing else writes
 * them meanwhile (the pass and erasure hold the chunk lock): the stored sketches of the chunk's
 * keys are read in one statement, merged in memory (`mergeDelta`), and only the rows whose
 * registers grew are written — most chunks add users a sketch already counts.
 */
export async function mergeToolUsers(db: Sql, projectPk: number, deltas: ToolUserDeltas): Promise<void> {
  if (deltas.size === 0) return;
  const { hours, days } = deltas.entries();
  const rows = await all<{ day: boolean; start: number; tool: string; sketch: Buffer }>(
    db,
    `SELECT false AS day, s.hour AS start, s.tool, s.sketch
     FROM unnest($2::bigint[], $3::text[]) AS k(start, tool)
     JOIN tool_hour_users s ON s.project_pk = $1 AND s.hour = k.start AND s.tool = k.tool
     UNION ALL
     SELECT true, s.day, s.tool, s.sketch FROM unnest($4::bigint[], $5::text[]) AS k(start, tool)
     JOIN tool_day_users s ON s.project_pk = $1 AND s.day = k.start AND s.tool = k.tool`,
    [
      projectPk,
      hours.map((d) => d.start),
      hours.map((d) => d.tool),
      days.map((d) => d.start),
      days.map((d) => d.tool),
    ],
  );
  const stored = new Map(rows.map((row) => [`${row.day}\u0000${row.start}\u0000${row.tool}`, row.sketch]));
  const merged = new Map<SketchDelta, Buffer>();
  const grown = (day: boolean, list: SketchDelta[]) =>
    list.filter((d) => {
      const sketch = mergeDelta(stored.get(`${day}\u0000${d.start}\u0000${d.tool}`) ?? null, d.ranks);
      if (sketch) merged.set(d, sketch);
      return sketch !== null;
    });
  const [grownHours, grownDays] = [grown(false, hours), grown(true, days)];
  if (merged.size > 0)
    await writeSketches(db, REPLACE, projectPk, grownHours, grownDays, (d) => merged.get(d) as Buffer);
}

const APPLY = (table: string) => `mcpsight_hll_apply(${table}.sketch, excluded.sketch)`;
const REPLACE = () => "excluded.sketch";

/** Upserts hour and day sketch rows (each list in key order) in one statement. */
function writeSketches(
  db: Sql,
  set: (table: string) => string,
  projectPk: number,
  hours: SketchDelta[],
  days: SketchDelta[],
  sketchOf: (d: SketchDelta) => Buffer,
): Promise<unknown> {
  return run(
    db,
    `WITH hour_rows AS (
       INSERT INTO tool_hour_users (project_pk, hour, tool, sketch)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[])
       ON CONFLICT (project_pk, hour, tool) DO UPDATE SET sketch = ${set("tool_hour_users")}
     )
     INSERT INTO tool_day_users (project_pk, day, tool, sketch)
     SELECT $1, * FROM unnest($5::bigint[], $6::text[], $7::bytea[])
     ON CONFLICT (project_pk, day, tool) DO UPDATE SET sketch = ${set("tool_day_users")}`,
    [
      projectPk,
      hours.map((d) => d.start),
      hours.map((d) => d.tool),
      hours.map(sketchOf),
      days.map((d) => d.start),
      days.map((d) => d.tool),
      days.map(sketchOf),
    ],
  );
}

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
