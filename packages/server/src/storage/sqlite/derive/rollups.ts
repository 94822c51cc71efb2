import { addTo, type Histogram } from "../../histogram.js";
import type { BaseRollupDeltas } from "../../shared/rollup-deltas.js";
import { type Db, fromJson, get, insertRows, run } from "../db.js";
import { flushToolUsers } from "./tool-users.js";

/**
 * Adds rollup deltas (shared/rollup-deltas.ts: a chunk's, or an erasure's negative ones) to the
 * stored rows: tool hours with their duration histograms, user tools and clients, session and
 * client hours, and the distinct-user sketches.
 */
export function writeRollups(db: Db, projectPk: number, deltas: BaseRollupDeltas): void {
  flushToolUsers(db, projectPk, deltas.toolUsers);
  for (const d of deltas.tools.values()) {
    // The duration histogram is one JSON column: merged here, under the writer's lock.
    const existing = get<{ histogram: string }>(
      db,
      "SELECT histogram FROM tool_hours WHERE project_pk = ? AND hour = ? AND tool = ?",
      projectPk,
      d.hour,
      d.tool,
    );
    const histogram = addTo(fromJson<Histogram>(existing?.histogram ?? null) ?? {}, d.histogram);
    run(
      db,
      `INSERT INTO tool_hours (project_pk, hour, tool, calls, errors, histogram) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
           histogram = excluded.histogram`,
      projectPk,
      d.hour,
      d.tool,
      d.calls,
      d.errors,
      JSON.stringify(histogram),
    );
  }
  const userTools: unknown[] = [];
  for (const d of deltas.userTools.values())
    userTools.push(d.userPk, d.tool, projectPk, d.calls, d.errors, d.first, d.last);
  insertRows(
    db,
    "INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at) VALUES",
    7,
    userTools,
    `ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
         first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)`,
  );
  const userClients: unknown[] = [];
  for (const d of deltas.userClients.values())
    userClients.push(d.userPk, d.name, d.version, projectPk, d.first, d.last);
  insertRows(
    db,
    "INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at) VALUES",
    6,
    userClients,
    "ON CONFLICT DO UPDATE SET first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)",
  );
  for (const d of deltas.sessionHours.values()) {
    if (d.sessions === 0 && d.identified === 0) continue;
    run(
      db,
      `INSERT INTO session_hours (project_pk, hour, sessions, identified) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions, identified = identified + excluded.identified`,
      projectPk,
      d.hour,
      d.sessions,
      d.identified,
    );
  }
  for (const d of deltas.clientHours.values()) {
    if (d.sessions === 0) continue;
    run(
      db,
      `INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions`,
      projectPk,
      d.hour,
      d.name,
      d.version,
      d.sessions,
    );
  }
}
