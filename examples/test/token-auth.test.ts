import { describe, expect, it } from "vitest";
import { connectStdio } from "../demo/clients.js";
import { mustGetAccount } from "../shared/users.js";
import {
  type EventRow,
  type Page,
  resultText,
  type SessionRow,
  type UsersPage,
  useCollector,
  waitFor,
} from "./helpers.js";

const collector = useCollector();

/** One session of the token-auth example that searches with `token`; returns its session row. */
async function sessionWithToken(token: string, clientName: string): Promise<SessionRow> {
  const { client, close } = await connectStdio("token-auth", collector, {
    name: clientName,
    version: "1.0.0",
  });
  const result = await client.callTool({
    name: "search_notes",
    arguments: { token, query: "rota", context: "checking who is on call" },
  });
  expect(resultText(result)).toContain("On-call rota");
  await close();
  return waitFor(async () => {
    const { items } = await collector.get<Page<SessionRow>>(`/sessions?client=${clientName}`);
    return items.find((s) => s.toolCalls === 1);
  }, `the session of ${clientName}`);
}

describe("token-auth example (token in the arguments, stdio)", () => {
  it("maps a valid token to its user with role and organisation, and never records the token", async () => {
    const grace = mustGetAccount("u_grace");
    const session = await sessionWithToken(grace.token, "token-valid");
    expect(session).toMatchObject({ userId: "u_grace", userName: "Grace Hopper", stateless: false });

    const users = await collector.get<UsersPage>("/users?search=u_grace");
    expect(users.items[0]?.userData).toEqual({
      role: "editor",
      organisation: "Compiler Works",
      plan: "team",
    });

    const replay = await collector.get<{ events: EventRow[] }>(`/sessions/${session.sessionId}`);
    expect(JSON.stringify(replay.events)).not.toContain(grace.token);
    const call = replay.events.find((e) => e.eventType === "mcp:tools/call");
    expect(call?.parameters).toMatchObject({ arguments: { query: "rota" } });
  });

  it("leaves the session anonymous for an unknown token, and the call still succeeds", async () => {
    const session = await sessionWithToken("tok_forged_000000", "token-invalid");
    expect(session.userId).toBeNull();
    const { anonymousSessions } = await collector.get<UsersPage>("/users");
    expect(anonymousSessions).toBeGreaterThanOrEqual(1);
  });
});
