import { addTo, fromCounts, toCounts } from "../../histogram.js";
import { type BaseRollupDeltas, inKeyOrder, type ToolHourDelta } from "../../shared/rollup-deltas.js";
import { all, run, type Sql } from "../db.js";
import { mergeToolUsers } from "./tool-users.js";

/**
 * Adds rollup deltas (shared/rollup-deltas.ts: a chunk's, or an erasure's negative ones) to the
 * stored rows in one statement — one data-modifying CTE per table, `INSERT … ON CONFLICT DO
 * UPDATE SET x = x + excluded.x`, rows in key order — then the distinct-user sketches. A tool
 * hour's duration histogram is an `integer[]` of counts by bucket on its row: the stored arrays of
 * the chunk's tool hours are read first (pipelined beside the sketches' read), merged in memory
 * and written whole. Resolves once written. Only where nothing else writes rollups meanwhile: the
 * pass and erasure, which hold the chunk lock.
 */
export async function writeRollups(db: Sql, projectPk: number, deltas: BaseRollupDeltas): Promise<unknown> {
  const toolHours = inKeyOrder(deltas.tools);
  const userTools = inKeyOrder(deltas.userTools);
  const userClients = inKeyOrder(deltas.userClients);
  const hours = [...deltas.sessionHours.values()]
    .filter((d) => d.sessions !== 0 || d.identified !== 0)
    .sort((a, b) => a.hour - b.hour);
  const clients = inKeyOrder(deltas.clientHours).filter((d) => d.sessions !== 0);
  // Pipelined beside it: the distinct-user sketches (a read, then the rows that grew).
  const sketches = mergeToolUsers(db, projectPk, deltas.toolUsers);
  const tools = await withDurations(db, projectPk, toolHours);
  const rows = tools.length + userTools.length + userClients.length + hours.length + clients.length;
  // The few rows of tool, session and client hours go as JSON; the many of users' tools and
  // clients as arrays, whose numbers go in binary (db.ts).
  const counters =
    rows === 0
      ? Promise.resolve()
      : run(db, FLUSH_ROLLUPS, [
          projectPk,
          JSON.stringify(tools),
          userTools.map((d) => d.userPk),
          userTools.map((d) => d.tool),
          userTools.map((d) => d.calls),
          userTools.map((d) => d.errors),
          userTools.map((d) => d.first),
          userTools.map((d) => d.last),
          userClients.map((d) => d.userPk),
          userClients.map((d) => d.name),
          userClients.map((d) => d.version),
          userClients.map((d) => d.first),
          userClients.map((d) => d.last),
          JSON.stringify(hours),
          JSON.stringify(clients),
        ]);
  return Promise.all([counters, sketches]);
}

/** The tool hours' rows to write: their calls and errors to add, and their merged histograms. */
async function withDurations(db: Sql, projectPk: number, toolHours: ToolHourDelta[]) {
  if (toolHours.length === 0) return [];
  const rows = await all<{ hour: number; tool: string; durations: number[] }>(
    db,
    `SELECT t.hour, t.tool, t.durations FROM unnest($2::bigint[], $3::text[]) AS k(hour, tool)
     JOIN tool_hours t ON t.project_pk = $1 AND t.hour = k.hour AND t.tool = k.tool`,
    [projectPk, toolHours.map((d) => d.hour), toolHours.map((d) => d.tool)],
  );
  const stored = new Map(rows.map((row) => [`${row.hour}\u0000${row.tool}`, row.durations]));
  return toolHours.map(({ hour, tool, calls, errors, histogram }) => {
    const counts = stored.get(`${hour}\u0000${tool}`);
    const durations = toCounts(addTo(counts ? fromCounts(counts) : {}, histogram));
    return { hour, tool, calls, errors, durations };
  });
}

/** Every rollup upsert of a batch; a table whose array is empty gets no rows. */
const FLUSH_ROLLUPS = `
  WITH tool_rows AS (
    INSERT INTO tool_hours (project_pk, hour, tool, calls, errors, durations)
    SELECT $1, * FROM json_to_recordset($2::json) AS x(hour bigint, tool text, calls int, errors int, durations int[])
    ON CONFLICT (project_pk, hour, tool) DO UPDATE
      SET calls = tool_hours.calls + excluded.calls, errors = tool_hours.errors + excluded.errors,
        durations = excluded.durations
  ), user_tool_rows AS (
    INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at)
    SELECT user_pk, tool, $1, calls, errors, first, last
    FROM unnest($3::bigint[], $4::text[], $5::int[], $6::int[], $7::bigint[], $8::bigint[])
      AS x(user_pk, tool, calls, errors, first, last)
    ON CONFLICT (user_pk, tool) DO UPDATE SET calls = user_tools.calls + excluded.calls,
      errors = user_tools.errors + excluded.errors, first_at = LEAST(user_tools.first_at, excluded.first_at),
      last_at = GREATEST(user_tools.last_at, excluded.last_at)
  ), user_client_rows AS (
    INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at)
    SELECT user_pk, name, version, $1, first, last
    FROM unnest($9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::bigint[])
      AS x(user_pk, name, version, first, last)
    ON CONFLICT (user_pk, client_name, client_version) DO UPDATE
      SET first_at = LEAST(user_clients.first_at, excluded.first_at),
          last_at = GREATEST(user_clients.last_at, excluded.last_at)
  ), session_rows AS (
    INSERT INTO session_hours (project_pk, hour, sessions, identified)
    SELECT $1, * FROM json_to_recordset($14::json) AS x(hour bigint, sessions int, identified int)
    ON CONFLICT (project_pk, hour) DO UPDATE SET sessions = session_hours.sessions + excluded.sessions,
      identified = session_hours.identified + excluded.identified
  )
  INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions)
  SELECT $1, * FROM json_to_recordset($15::json) AS x(hour bigint, name text, version text, sessions int)
  ON CONFLICT (project_pk, hour, client_name, client_version) DO UPDATE
    SET sessions = client_hours.sessions + excluded.sessions`;
