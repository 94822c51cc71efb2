import { bucketOf, type Histogram } from "../../histogram.js";
import { ToolUserDeltas } from "../../shared/tool-users.js";
import { run, type Sql } from "../db.js";
import type { RollupKey } from "./state.js";
import { flushToolUsers } from "./tool-users.js";

const SEP = "\u0000";
const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Per-batch accumulators for the rollup tables, added to the stored rows at the end of the batch
 * with `INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`: concurrent collectors never lose
 * an update. Rows go in key order so concurrent batches lock them in the same order.
 */
export class RollupDeltas {
  private tools = new Map<string, { hour: number; tool: string; calls: number; errors: number }>();
  private durations = new Map<string, { hour: number; tool: string; bucket: number; count: number }>();
  private userTools = new Map<
    string,
    { userPk: number; tool: string; calls: number; errors: number; first: number; last: number }
  >();
  private userClients = new Map<
    string,
    { userPk: number; name: string; version: string; first: number; last: number }
  >();
  private sessionHours = new Map<number, { sessions: number; identified: number }>();
  private clientHours = new Map<string, { hour: number; name: string; version: string; sessions: number }>();
  private toolUsers = new ToolUserDeltas();

  /** Adds (sign 1) or removes (sign -1) tool calls with their duration histogram. */
  toolCalls(hour: number, tool: string, calls: number, errors: number, histogram: Histogram, sign = 1): void {
    const key = `${String(hour).padStart(15, "0")}${SEP}${tool}`;
    const entry = this.tools.get(key) ?? { hour, tool, calls: 0, errors: 0 };
    entry.calls += sign * calls;
    entry.errors += sign * errors;
    this.tools.set(key, entry);
    for (const [b, count] of Object.entries(histogram)) {
      const bucket = Number(b);
      const bucketKey = `${key}${SEP}${String(bucket).padStart(4, "0")}`;
      const d = this.durations.get(bucketKey) ?? { hour, tool, bucket, count: 0 };
      d.count += sign * count;
      this.durations.set(bucketKey, d);
    }
  }

  toolCall(hour: number, tool: string, isError: boolean, duration: number | undefined | null): void {
    const histogram: Histogram =
      duration === undefined || duration === null ? {} : { [bucketOf(duration)]: 1 };
    this.toolCalls(hour, tool, 1, isError ? 1 : 0, histogram);
  }

  userTool(userPk: number, tool: string, calls: number, errors: number, first: number, last: number): void {
    const key = `${String(userPk).padStart(15, "0")}${SEP}${tool}`;
    const entry = this.userTools.get(key);
    if (!entry) this.userTools.set(key, { userPk, tool, calls, errors, first, last });
    else {
      entry.calls += calls;
      entry.errors += errors;
      entry.first = Math.min(entry.first, first);
      entry.last = Math.max(entry.last, last);
    }
  }

  /** An identified user's tool call, for the distinct-user sketches. */
  toolUser(ts: number, tool: string, userId: string): void {
    this.toolUsers.add(ts, tool, userId);
  }

  userClient(userPk: number, name: string | null, version: string | null, first: number, last: number): void {
    const key = `${String(userPk).padStart(15, "0")}${SEP}${name ?? ""}${SEP}${version ?? ""}`;
    const entry = this.userClients.get(key);
    if (!entry) this.userClients.set(key, { userPk, name: name ?? "", version: version ?? "", first, last });
    else {
      entry.first = Math.min(entry.first, first);
      entry.last = Math.max(entry.last, last);
    }
  }

  /** Moves a session's contribution from `before` to `after` in the hourly session rollups. */
  session(before: RollupKey | null, after: RollupKey | null): void {
    if (
      before &&
      after &&
      before.hour === after.hour &&
      before.identified === after.identified &&
      before.clientName === after.clientName &&
      before.clientVersion === after.clientVersion
    )
      return;
    if (before) this.sessionContribution(before, -1);
    if (after) this.sessionContribution(after, 1);
  }

  private sessionContribution(key: RollupKey, sign: number): void {
    const hour = this.sessionHours.get(key.hour) ?? { sessions: 0, identified: 0 };
    hour.sessions += sign;
    if (key.identified) hour.identified += sign;
    this.sessionHours.set(key.hour, hour);
    const clientKey = `${String(key.hour).padStart(15, "0")}${SEP}${key.clientName}${SEP}${key.clientVersion}`;
    const client = this.clientHours.get(clientKey) ?? {
      hour: key.hour,
      name: key.clientName,
      version: key.clientVersion,
      sessions: 0,
    };
    client.sessions += sign;
    this.clientHours.set(clientKey, client);
  }

  /**
   * Adds the deltas to the stored rows in one statement (one data-modifying CTE per table, each
   * fed in key order), so a batch pays one round trip for all six rollups. Resolves once written.
   */
  flush(db: Sql, projectPk: number): Promise<unknown> {
    const tools = byKey(this.tools).map(([, d]) => d);
    const durations = byKey(this.durations)
      .map(([, d]) => d)
      .filter((d) => d.count !== 0);
    const userTools = byKey(this.userTools).map(([, d]) => d);
    const userClients = byKey(this.userClients).map(([, d]) => d);
    const hours = [...this.sessionHours.entries()]
      .filter(([, d]) => d.sessions !== 0 || d.identified !== 0)
      .sort(([a], [b]) => a - b);
    const clients = byKey(this.clientHours)
      .map(([, d]) => d)
      .filter((d) => d.sessions !== 0);
    const rows =
      tools.length + durations.length + userTools.length + userClients.length + hours.length + clients.length;
    // Rows go as JSON arrays (native JSON.stringify) rather than 26 pg array literals.
    const counters =
      rows === 0
        ? Promise.resolve()
        : run(db, FLUSH_ROLLUPS, [
            projectPk,
            JSON.stringify(tools),
            JSON.stringify(durations),
            JSON.stringify(userTools),
            JSON.stringify(userClients),
            JSON.stringify(hours.map(([hour, d]) => ({ hour, ...d }))),
            JSON.stringify(clients),
          ]);
    // Queued right behind (pipelined): the distinct-user sketches.
    return Promise.all([counters, flushToolUsers(db, projectPk, this.toolUsers)]);
  }
}

/** Every rollup upsert of a batch; a table whose array is empty gets no rows. */
const FLUSH_ROLLUPS = `
  WITH tool_rows AS (
    INSERT INTO tool_hours (project_pk, hour, tool, calls, errors)
    SELECT $1, * FROM json_to_recordset($2::json) AS x(hour bigint, tool text, calls int, errors int)
    ON CONFLICT (project_pk, hour, tool) DO UPDATE
      SET calls = tool_hours.calls + excluded.calls, errors = tool_hours.errors + excluded.errors
  ), duration_rows AS (
    INSERT INTO tool_hour_durations (project_pk, hour, tool, bucket, count)
    SELECT $1, * FROM json_to_recordset($3::json) AS x(hour bigint, tool text, bucket smallint, count int)
    ON CONFLICT (project_pk, hour, tool, bucket) DO UPDATE SET count = tool_hour_durations.count + excluded.count
  ), user_tool_rows AS (
    INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at)
    SELECT "userPk", tool, $1, calls, errors, first, last
    FROM json_to_recordset($4::json) AS x("userPk" bigint, tool text, calls int, errors int, first bigint, last bigint)
    ON CONFLICT (user_pk, tool) DO UPDATE SET calls = user_tools.calls + excluded.calls,
      errors = user_tools.errors + excluded.errors, first_at = LEAST(user_tools.first_at, excluded.first_at),
      last_at = GREATEST(user_tools.last_at, excluded.last_at)
  ), user_client_rows AS (
    INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at)
    SELECT "userPk", name, version, $1, first, last
    FROM json_to_recordset($5::json) AS x("userPk" bigint, name text, version text, first bigint, last bigint)
    ON CONFLICT (user_pk, client_name, client_version) DO UPDATE
      SET first_at = LEAST(user_clients.first_at, excluded.first_at),
          last_at = GREATEST(user_clients.last_at, excluded.last_at)
  ), session_rows AS (
    INSERT INTO session_hours (project_pk, hour, sessions, identified)
    SELECT $1, * FROM json_to_recordset($6::json) AS x(hour bigint, sessions int, identified int)
    ON CONFLICT (project_pk, hour) DO UPDATE SET sessions = session_hours.sessions + excluded.sessions,
      identified = session_hours.identified + excluded.identified
  )
  INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions)
  SELECT $1, * FROM json_to_recordset($7::json) AS x(hour bigint, name text, version text, sessions int)
  ON CONFLICT (project_pk, hour, client_name, client_version) DO UPDATE
    SET sessions = client_hours.sessions + excluded.sessions`;
