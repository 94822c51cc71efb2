import { decodeSketch } from "../../src/storage/shared/hll.js";
import { emptyProjection, k, normalize, type Projection, registerList } from "./projection.js";

type Row = Record<string, unknown>;

/** Runs one SELECT (no parameters) on the database under test. */
export type Query = (sql: string) => Promise<Row[]>;

const num = (v: unknown): number => Number(v);
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const flag = (v: unknown): boolean => v === true || v === 1;
const json = (v: unknown): unknown => (v === null ? null : JSON.parse(String(v)));

/** A PostgreSQL tool hour's counts by bucket as a histogram; a count below 1 is a stored error. */
function durationHistogram(counts: number[]): Record<string, number> {
  const histogram: Record<string, number> = {};
  counts.forEach((count, bucket) => {
    if (count > 0) histogram[String(bucket)] = count;
    else if (count < 0) throw new Error(`a negative duration count: ${JSON.stringify(counts)}`);
  });
  return histogram;
}

/**
 * The derived tables of project `projectId` in a SQLite or PostgreSQL database, as the canonical
 * projection (projection.ts): what a store holds, comparable with the reference derivation and
 * with another store whatever its keys. Also checks the counters kept beside link rows (error
 * groups' users and sessions) against those rows.
 */
export async function dbProjection(
  query: Query,
  dialect: "sqlite" | "postgres",
  projectId: string,
): Promise<Projection> {
  const [project] = await query(`SELECT pk FROM projects WHERE id = '${projectId.replace(/'/g, "''")}'`);
  if (!project) throw new Error(`no project ${projectId}`);
  const p = emptyProjection();
  const pk = num(project.pk);
  for (const u of await query(`SELECT * FROM users WHERE project_pk = ${pk}`))
    p.users[String(u.user_id)] = {
      userName: text(u.user_name),
      userData: json(u.user_data),
      firstSeen: num(u.first_seen),
      lastSeen: num(u.last_seen),
      sessions: num(u.sessions),
      toolCalls: num(u.tool_calls),
      errors: num(u.errors),
      events: num(u.events),
    };
  const tools = new Map<string, string[]>();
  if (dialect === "sqlite")
    for (const t of await query(
      `SELECT s.session_id, t.tool FROM session_tools t JOIN sessions s ON s.pk = t.session_pk WHERE s.project_pk = ${pk}`,
    ))
      tools.set(String(t.session_id), [...(tools.get(String(t.session_id)) ?? []), String(t.tool)]);
  for (const s of await query(
    `SELECT s.*, u.user_id FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk WHERE s.project_pk = ${pk}`,
  ))
    p.sessions[String(s.session_id)] = {
      userId: text(s.user_id),
      clientName: text(s.client_name),
      clientVersion: text(s.client_version),
      serverName: text(s.server_name),
      serverVersion: text(s.server_version),
      firstSeen: num(s.first_seen),
      lastSeen: num(s.last_seen),
      events: num(s.events),
      toolCalls: num(s.tool_calls),
      errors: num(s.errors),
      stateless: flag(s.stateless),
      // PostgreSQL keeps a session's tools on its row.
      tools: dialect === "sqlite" ? (tools.get(String(s.session_id)) ?? []) : (s.tools as string[]),
    };
  for (const l of await query(
    `SELECT e.event_id, s.session_id, u.user_id FROM event_links l JOIN events e ON e.pk = l.event_pk
     JOIN sessions s ON s.pk = l.session_pk LEFT JOIN users u ON u.pk = l.user_pk WHERE e.project_pk = ${pk}`,
  ))
    p.links[String(l.event_id)] = [String(l.session_id), text(l.user_id)];
  for (const t of await query(`SELECT * FROM tool_hours WHERE project_pk = ${pk}`))
    p.toolHours[k(num(t.hour), String(t.tool))] = {
      calls: num(t.calls),
      errors: num(t.errors),
      histogram:
        dialect === "sqlite"
          ? (json(t.histogram) as Record<string, number>)
          : durationHistogram(t.durations as number[]),
    };
  for (const t of await query(
    `SELECT u.user_id, t.* FROM user_tools t JOIN users u ON u.pk = t.user_pk WHERE t.project_pk = ${pk}`,
  ))
    p.userTools[k(String(t.user_id), String(t.tool))] = {
      calls: num(t.calls),
      errors: num(t.errors),
      first: num(t.first_at),
      last: num(t.last_at),
    };
  for (const c of await query(
    `SELECT u.user_id, c.* FROM user_clients c JOIN users u ON u.pk = c.user_pk WHERE c.project_pk = ${pk}`,
  ))
    p.userClients[k(String(c.user_id), String(c.client_name), String(c.client_version))] = {
      first: num(c.first_at),
      last: num(c.last_at),
    };
  for (const h of await query(`SELECT * FROM session_hours WHERE project_pk = ${pk}`))
    p.sessionHours[String(num(h.hour))] = { sessions: num(h.sessions), identified: num(h.identified) };
  for (const h of await query(`SELECT * FROM client_hours WHERE project_pk = ${pk}`))
    p.clientHours[k(num(h.hour), String(h.client_name), String(h.client_version))] = num(h.sessions);
  for (const [prefix, table, column] of [
    ["h", "tool_hour_users", "hour"],
    ["d", "tool_day_users", "day"],
  ] as const)
    for (const s of await query(
      `SELECT ${column} AS start, tool, sketch FROM ${table} WHERE project_pk = ${pk}`,
    ))
      p.sketches[k(prefix, num(s.start), String(s.tool))] = registerList(
        decodeSketch(s.sketch as Uint8Array),
      );
  const groups = await query(
    `SELECT g.*, e.event_id AS sample FROM error_groups g LEFT JOIN events e ON e.pk = g.sample_event_pk
     WHERE g.project_pk = ${pk}`,
  );
  for (const g of groups) {
    const groupPk = num(g.pk);
    const users = (
      await query(
        `SELECT u.user_id FROM error_group_users x JOIN users u ON u.pk = x.user_pk WHERE x.group_pk = ${groupPk}`,
      )
    ).map((r) => String(r.user_id));
    const sessions = (
      await query(
        `SELECT s.session_id FROM error_group_sessions x JOIN sessions s ON s.pk = x.session_pk WHERE x.group_pk = ${groupPk}`,
      )
    ).map((r) => String(r.session_id));
    if (num(g.users) !== users.length || num(g.sessions) !== sessions.length)
      throw new Error(
        `error group ${g.message}: counters ${g.users}/${g.sessions}, links ${users.length}/${sessions.length}`,
      );
    const hours: Record<string, number> = {};
    for (const h of await query(`SELECT hour, count FROM error_hours WHERE group_pk = ${groupPk}`))
      hours[String(num(h.hour))] = num(h.count);
    p.errors[k(String(g.tool), String(g.message))] = {
      first: num(g.first_seen),
      last: num(g.last_seen),
      sample: text(g.sample),
      users,
      sessions,
      hours,
    };
  }
  return normalize(p);
}
