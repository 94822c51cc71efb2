import { EVENT_TYPES } from "@mcpsight/protocol";
import { errorKeyOf } from "../../shared/index.js";
import { userRegister } from "../../shared/rollup-deltas.js";
import { all, type Db, fromJson, run } from "../db.js";
import type { RollupDeltas } from "./rollups.js";
import type { SessionState, UserState } from "./state.js";

interface AnonymousEventRow {
  ts: number;
  event_type: string;
  resource_name: string | null;
  is_error: number;
  error: string | null;
  response: string | null;
}

/**
 * When an anonymous session is identified, its earlier events become the user's: they are
 * attributed in place and counted in the user's totals, tools, clients and error groups.
 */
export function attributeEarlierEvents(
  db: Db,
  session: SessionState,
  user: UserState,
  rollups: RollupDeltas,
): void {
  const rows = all<AnonymousEventRow>(
    db,
    `SELECT ts, event_type, resource_name, is_error, error, response FROM events
     WHERE session_pk = ? AND user_pk IS NULL`,
    session.pk,
  );
  if (rows.length === 0) return;
  run(db, "UPDATE events SET user_pk = ? WHERE session_pk = ? AND user_pk IS NULL", user.pk, session.pk);
  for (const row of rows) {
    const isToolCall = row.event_type === EVENT_TYPES.toolsCall;
    const isError = row.is_error === 1;
    user.events++;
    user.firstSeen = Math.min(user.firstSeen, row.ts);
    user.lastSeen = Math.max(user.lastSeen, row.ts);
    if (isToolCall) {
      user.toolCalls++;
      rollups.userTool(user.pk, row.resource_name || "(unknown)", 1, isError ? 1 : 0, row.ts, row.ts);
      rollups.toolUser(row.ts, row.resource_name || "(unknown)", userRegister(user));
    }
    if (session.clientName !== null)
      rollups.userClient(user.pk, session.clientName, session.clientVersion, row.ts, row.ts);
    if (isError) {
      user.errors++;
      const key = errorKeyOf(
        row.resource_name,
        row.event_type,
        fromJson<{ message?: string }>(row.error),
        fromJson<unknown>(row.response),
      );
      rollups.errors.linkUser(key, user.pk);
    }
  }
}
