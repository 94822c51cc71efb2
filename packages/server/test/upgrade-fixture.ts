import { expect } from "vitest";
import { statelessSessionId } from "../src/storage/derive/index.js";
import type { Storage } from "../src/storage/index.js";

/**
 * Rows as the collector stored them before the derivation pass (ingest derived users and sessions
 * itself and kept session and user on each event), for the upgrade tests of both backends: a
 * stateful session identified part-way (its identify event holding the profile), a stateless
 * session of that user, a correlated anonymous one, and a lone anonymous event.
 */
export const T = Date.parse("2026-11-20T10:00:00.000Z");
const MIN = 60_000;

export function oldDatabaseSql(dialect: "sqlite" | "postgres"): string {
  const b = (v: boolean) => (dialect === "sqlite" ? (v ? "1" : "0") : v ? "true" : "false");
  const q = (v: string | null) => (v === null ? "NULL" : `'${v.replace(/'/g, "''")}'`);
  const lone = statelessSessionId("p1", "e-lone");
  const identify = JSON.stringify({ userId: "u1", userName: "Ann", userData: { plan: "pro" } });
  const event = (
    pk: number,
    id: string,
    session: number,
    user: number | null,
    at: number,
    type = "mcp:tools/call",
    extra: { identify?: string; isError?: boolean; error?: string } = {},
  ) =>
    `(${pk}, 1, ${q(id)}, ${session}, ${user ?? "NULL"}, ${T + at * MIN}, ${q(type)}, ${
      type === "mcp:tools/call" ? "'search'" : "NULL"
    }, 12, ${b(extra.isError ?? false)}, ${q(extra.error ?? null)}, ${q(extra.identify ?? null)}, 'cli', '1.0', 'srv', '2.0')`;
  return `
  INSERT INTO projects (pk, id, name, created_at) VALUES (1, 'p1', 'One', ${T});
  INSERT INTO users (pk, project_pk, user_id, user_name, user_data, profile_at, first_seen, last_seen, sessions,
    tool_calls, errors, events)
    VALUES (1, 1, 'u1', 'Ann', '{"plan":"pro"}', ${T + MIN}, ${T}, ${T + 31 * MIN}, 2, 4, 1, 5);
  INSERT INTO sessions (pk, project_pk, session_id, user_pk, client_name, client_version, server_name,
    server_version, first_seen, last_seen, events, tool_calls, errors, stateless, group_key) VALUES
    (1, 1, 'st1', 1, 'cli', '1.0', 'srv', '2.0', ${T}, ${T + 2 * MIN}, 3, 2, 1, ${b(false)}, NULL),
    (2, 1, 'sl_old_u', 1, 'cli', '1.0', 'srv', '2.0', ${T + 30 * MIN}, ${T + 31 * MIN}, 2, 2, 0, ${b(true)}, 'u:1:cli'),
    (3, 1, 'sl_old_c', NULL, 'cli', '1.0', 'srv', '2.0', ${T + 40 * MIN}, ${T + 41 * MIN}, 2, 2, 0, ${b(true)}, 'c:corr:1:cli'),
    (4, 1, ${q(lone)}, NULL, 'cli', '1.0', 'srv', '2.0', ${T + 50 * MIN}, ${T + 50 * MIN}, 1, 1, 0, ${b(true)}, NULL);
  INSERT INTO events (pk, project_pk, event_id, session_pk, user_pk, ts, event_type, resource_name, duration,
    is_error, error, identify, client_name, client_version, server_name, server_version) VALUES
    ${[
      event(1, "e1", 1, 1, 0),
      event(2, "e2", 1, 1, 1, "mcpsight:identify", { identify }),
      event(3, "e3", 1, 1, 2, "mcp:tools/call", { isError: true, error: '{"message":"bad"}' }),
      event(4, "e4", 2, 1, 30),
      event(5, "e5", 2, 1, 31),
      event(6, "e6", 3, null, 40),
      event(7, "e7", 3, null, 41),
      event(8, "e-lone", 4, null, 50),
    ].join(",\n    ")};
  `;
}

/** What the upgraded store derives from those rows (every query reads the rebuilt tables). */
export async function expectUpgraded(storage: Storage): Promise<void> {
  await storage.waitForDerivation();
  const range = { from: T - 86_400_000, to: T + 86_400_000 };
  const profile = await storage.getUserProfile("p1", "u1", range);
  expect(profile?.user).toMatchObject({
    userName: "Ann",
    userData: { plan: "pro" },
    sessions: 2,
    events: 5,
    toolCalls: 4,
    errors: 1,
  });
  const sessions = await storage.listSessions("p1", {
    limit: 10,
    cursor: null,
    range,
    userId: null,
    client: null,
    tool: null,
    hasError: null,
    stateless: null,
    anonymous: null,
  });
  expect(sessions.items.map((s) => [s.sessionId, s.userId, s.events, s.stateless]).sort()).toEqual(
    [
      ["st1", "u1", 3, false],
      [statelessSessionId("p1", "e4"), "u1", 2, true],
      [statelessSessionId("p1", "e6"), null, 2, true],
      [statelessSessionId("p1", "e-lone"), null, 1, true],
    ].sort(),
  );
  const timeline = await storage.getSessionTimeline("p1", "st1", { limit: 10, cursor: null });
  expect(timeline?.events.map((e) => e.userId)).toEqual(["u1", "u1", "u1"]);
  expect(timeline?.events[1]?.identify).toEqual({ userId: "u1", userName: "Ann", userData: { plan: "pro" } });
  const errors = await storage.listErrorGroups("p1", range, { limit: 10, cursor: null });
  expect(errors.items[0]).toMatchObject({ message: "bad", count: 1, users: 1, sessions: 1 });
  expect(await storage.getDerivationStatus()).toMatchObject({ pending: 0, reindex: null });
}
