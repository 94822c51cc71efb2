import { describe, expect, it } from "vitest";
import { connectHttp } from "../demo/clients.js";
import { mustGetAccount } from "../shared/users.js";
import {
  type EventRow,
  type Page,
  resultText,
  type SessionRow,
  type UsersPage,
  useHttpExample,
  waitFor,
} from "./helpers.js";

const fixture = useHttpExample("mcp-auth");

describe("mcp-auth example (stateful Streamable HTTP behind the MCP SDK's bearer auth)", () => {
  it("refuses requests without a valid bearer token", async () => {
    const response = await fetch(fixture.example.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    await expect(
      connectHttp(
        fixture.example.url,
        { name: "no-token", version: "1" },
        { authorization: "Bearer tok_forged" },
      ),
    ).rejects.toThrow();
  });

  it("identifies the session from extra.authInfo, once per session", async () => {
    const margaret = mustGetAccount("u_margaret");
    const { client, close } = await connectHttp(
      fixture.example.url,
      { name: "claude-code", version: "2.1.0" },
      { authorization: `Bearer ${margaret.token}` },
    );
    const created = await client.callTool({
      name: "create_note",
      arguments: { title: "Launch", body: "T-minus 10", context: "planning the launch" },
    });
    expect(resultText(created)).toBe("Created note #5.");
    const failed = await client.callTool({
      name: "delete_note",
      arguments: { id: 99, context: "tidying up" },
    });
    expect(failed.isError).toBe(true);
    await close();

    const session = await waitFor(async () => {
      const { items } = await fixture.collector.get<Page<SessionRow>>("/sessions?client=claude-code");
      return items.find((s) => s.toolCalls === 2 && s.userId !== null);
    }, "the authenticated session");
    expect(session).toMatchObject({
      userId: "u_margaret",
      userName: "Margaret Hamilton",
      clientVersion: "2.1.0",
      serverName: "notes-mcp-auth",
      stateless: false,
      errors: 1,
    });
    const replay = await fixture.collector.get<{ events: EventRow[] }>(`/sessions/${session.sessionId}`);
    expect(replay.events.filter((e) => e.eventType === "mcpsight:identify")).toHaveLength(1);
    const users = await fixture.collector.get<UsersPage>("/users?search=u_margaret");
    expect(users.items[0]?.userData).toEqual({
      organisation: "Apollo Guidance",
      scopes: ["notes:read", "notes:write"],
      client: "notes-web",
    });
  });
});
