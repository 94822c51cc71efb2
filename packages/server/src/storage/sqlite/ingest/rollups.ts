import { addTo, bucketOf, type Histogram } from "../../histogram.js";
import type { Register } from "../../shared/hll.js";
import { ToolUserDeltas } from "../../shared/tool-users.js";
import { type Db, fromJson, get, insertRows, run } from "../db.js";
import { ErrorDeltas } from "./errors.js";
import type { RollupKey } from "./state.js";
import { flushToolUsers } from "./tool-users.js";

const SEP = "\u0000";

/** Per-batch accumulators for the rollup tables, written once at the end of the batch. */
export class RollupDeltas {
  private tools = new Map<string, { calls: number; errors: number; histogram: Histogram }>();
  private userTools = new Map<string, { calls: number; errors: number; first: number; last: number }>();
  private userClients = new Map<string, { first: number; last: number }>();
  private sessionHours = new Map<number, { sessions: number; identified: number }>();
  private clientHours = new Map<string, number>();
  private toolUsers = new ToolUserDeltas();
  /** Error occurrences per error group. */
  readonly errors = new ErrorDeltas();

  /** Adds (sign 1) or removes (sign -1) tool calls; `durations` may hold nulls for unknown. */
  toolCalls(hour: number, tool: string, calls: number, errors: number, histogram: Histogram, sign = 1): void {
    const key = `${hour}${SEP}${tool}`;
    const entry = this.tools.get(key) ?? { calls: 0, errors: 0, histogram: {} };
    entry.calls += sign * calls;
    entry.errors += sign * errors;
    for (const [bucket, count] of Object.entries(histogram)) {
      const b = Number(bucket);
      entry.histogram[b] = (entry.histogram[b] ?? 0) + sign * count;
    }
    this.tools.set(key, entry);
  }

  /** One tool call (the per-event path: no histogram object, one map lookup). */
  toolCall(hour: number, tool: string, isError: boolean, duration: number | undefined): void {
    const key = `${hour}${SEP}${tool}`;
    let entry = this.tools.get(key);
    if (!entry) {
      entry = { calls: 0, errors: 0, histogram: {} };
      this.tools.set(key, entry);
    }
    entry.calls += 1;
    if (isError) entry.errors += 1;
    if (duration !== undefined) {
      const bucket = bucketOf(duration);
      entry.histogram[bucket] = (entry.histogram[bucket] ?? 0) + 1;
    }
  }

  userTool(userPk: number, tool: string, calls: number, errors: number, first: number, last: number): void {
    const key = `${userPk}${SEP}${tool}`;
    const entry = this.userTools.get(key);
    if (!entry) this.userTools.set(key, { calls, errors, first, last });
    else {
      entry.calls += calls;
      entry.errors += errors;
      entry.first = Math.min(entry.first, first);
      entry.last = Math.max(entry.last, last);
    }
  }

  /** An identified user's tool call, for the distinct-user sketches (`register`: the user's, see hll.ts). */
  toolUser(ts: number, tool: string, register: Register): void {
    this.toolUsers.addRegister(ts, tool, register);
  }

  userClient(userPk: number, name: string | null, version: string | null, first: number, last: number): void {
    const key = `${userPk}${SEP}${name ?? ""}${SEP}${version ?? ""}`;
    const entry = this.userClients.get(key);
    if (!entry) this.userClients.set(key, { first, last });
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
    const clientKey = `${key.hour}${SEP}${key.clientName}${SEP}${key.clientVersion}`;
    this.clientHours.set(clientKey, (this.clientHours.get(clientKey) ?? 0) + sign);
  }

  flush(db: Db, projectPk: number): void {
    flushToolUsers(db, projectPk, this.toolUsers);
    this.errors.flush(db, projectPk);
    for (const [key, d] of this.tools) {
      const [hour, tool] = key.split(SEP) as [string, string];
      const existing = get<{ histogram: string }>(
        db,
        "SELECT histogram FROM tool_hours WHERE project_pk = ? AND hour = ? AND tool = ?",
        projectPk,
        Number(hour),
        tool,
      );
      const histogram = addTo(fromJson<Histogram>(existing?.histogram ?? null) ?? {}, d.histogram);
      run(
        db,
        `INSERT INTO tool_hours (project_pk, hour, tool, calls, errors, histogram) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
           histogram = excluded.histogram`,
        projectPk,
        Number(hour),
        tool,
        d.calls,
        d.errors,
        JSON.stringify(histogram),
      );
    }
    const userTools: unknown[] = [];
    for (const [key, d] of this.userTools) {
      const [userPk, tool] = key.split(SEP) as [string, string];
      userTools.push(Number(userPk), tool, projectPk, d.calls, d.errors, d.first, d.last);
    }
    insertRows(
      db,
      "INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at) VALUES",
      7,
      userTools,
      `ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
         first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)`,
    );
    const userClients: unknown[] = [];
    for (const [key, d] of this.userClients) {
      const [userPk, name, version] = key.split(SEP) as [string, string, string];
      userClients.push(Number(userPk), name, version, projectPk, d.first, d.last);
    }
    insertRows(
      db,
      "INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at) VALUES",
      6,
      userClients,
      "ON CONFLICT DO UPDATE SET first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)",
    );
    for (const [hour, d] of this.sessionHours) {
      if (d.sessions === 0 && d.identified === 0) continue;
      run(
        db,
        `INSERT INTO session_hours (project_pk, hour, sessions, identified) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions, identified = identified + excluded.identified`,
        projectPk,
        hour,
        d.sessions,
        d.identified,
      );
    }
    for (const [key, sessions] of this.clientHours) {
      if (sessions === 0) continue;
      const [hour, name, version] = key.split(SEP) as [string, string, string];
      run(
        db,
        `INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions`,
        projectPk,
        Number(hour),
        name,
        version,
        sessions,
      );
    }
  }
}
