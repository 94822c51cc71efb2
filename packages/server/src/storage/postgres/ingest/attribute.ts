import { EVENT_TYPES } from "@mcpsight/protocol";
import { errorKeyOf } from "../../shared/index.js";
import { all, fromJson, type Sql } from "../db.js";
import type { EventRecord } from "./state.js";

interface AnonymousEventRow {
  ts: number;
  event_type: string;
  resource_name: string | null;
  is_error: boolean;
  error: string | null;
  response: string | null;
}

/**
 * When a stored anonymous session is identified, its earlier events become the user's: they are
 * attributed in place; the caller counts them in the user's totals, tools, clients and errors.
 */
export async function attributeStoredEvents(
  db: Sql,
  sessionPk: number,
  userPk: number,
): Promise<{ record: EventRecord }[]> {
  const rows = await all<AnonymousEventRow>(
    db,
    `UPDATE events SET user_pk = $2 WHERE session_pk = $1 AND user_pk IS NULL
     RETURNING ts, event_type, resource_name, is_error, error, response`,
    [sessionPk, userPk],
  );
  return rows.map((row) => ({
    record: {
      index: -1,
      ts: row.ts,
      userPk,
      isToolCall: row.event_type === EVENT_TYPES.toolsCall,
      isError: row.is_error,
      tool: row.resource_name || "(unknown)",
      errorKey: row.is_error
        ? errorKeyOf(
            row.resource_name,
            row.event_type,
            fromJson<{ message?: string }>(row.error),
            fromJson<unknown>(row.response),
          )
        : null,
    },
  }));
}
