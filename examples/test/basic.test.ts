import { describe, expect, it } from "vitest";
import { connectStdio } from "../demo/clients.js";
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

describe.each([
  { example: "basic", serverName: "notes-basic" },
  { example: "migrating-from-mcpcat", serverName: "notes-mcpcat" },
] as const)("$example example (user id in the arguments, stdio)", ({ example, serverName }) => {
  it("identifies the session from the userId argument", async () => {
    const clientName = `${example}-test-client`;
    const { client, close } = await connectStdio(example, collector, { name: clientName, version: "2.0.0" });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(["search_notes", "create_note", "delete_note", "get_more_tools"]),
    );
    const found = await client.callTool({
      name: "search_notes",
      arguments: { userId: "u_ada", query: "release", context: "Ada prepares the next release" },
    });
    expect(resultText(found)).toContain("Release checklist");
    const created = await client.callTool({
      name: "create_note",
      arguments: { userId: "u_ada", title: "Retro", body: "Went well.", context: "Ada notes the retro" },
    });
    expect(resultText(created)).toBe("Created note #5.");
    await close();

    const session = await waitFor(async () => {
      const { items } = await collector.get<Page<SessionRow>>(`/sessions?client=${clientName}`);
      return items.find((s) => s.toolCalls === 2 && s.userId !== null);
    }, "the identified session");
    expect(session).toMatchObject({
      userId: "u_ada",
      userName: "Ada Lovelace",
      clientName,
      clientVersion: "2.0.0",
      serverName,
      stateless: false,
      errors: 0,
    });
    const users = await collector.get<UsersPage>("/users?search=u_ada");
    expect(users.items[0]).toMatchObject({ userId: "u_ada", userName: "Ada Lovelace" });

    const replay = await collector.get<{ events: EventRow[] }>(`/sessions/${session.sessionId}`);
    const calls = replay.events.filter((e) => e.eventType === "mcp:tools/call");
    expect(calls.map((e) => [e.resourceName, e.userIntent])).toEqual([
      ["search_notes", "Ada prepares the next release"],
      ["create_note", "Ada notes the retro"],
    ]);
    // The intent is taken out of the arguments before the tool (and the recording) sees them.
    expect(calls[0]?.parameters).toEqual({
      name: "search_notes",
      arguments: { userId: "u_ada", query: "release" },
    });
  });
});
