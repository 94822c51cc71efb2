import { describe, expect, it } from "vitest";
import { connectStdio } from "../demo/clients.js";
import {
  type IntentRow,
  type Page,
  type SessionRow,
  type UsersPage,
  useCollector,
  waitFor,
} from "./helpers.js";

const collector = useCollector();

describe("anonymous example (no identify)", () => {
  it("records sessions without users, with their tool errors, intents and missing-tool reports", async () => {
    const { client, close } = await connectStdio("anonymous", collector, {
      name: "anon-client",
      version: "0.9.0",
    });
    await client.listTools();
    const search = await client.callTool({
      name: "search_notes",
      arguments: { query: "guide", context: "looking for the writing style guide" },
    });
    expect(search.isError).toBeFalsy();
    const failed = await client.callTool({
      name: "delete_note",
      arguments: { id: 42, context: "cleaning up an old note" },
    });
    expect(failed.isError).toBe(true);
    await client.callTool({
      name: "get_more_tools",
      arguments: { context: "wanted to export all notes as a PDF" },
    });
    await close();

    const session = await waitFor(async () => {
      const { items } = await collector.get<Page<SessionRow>>("/sessions?client=anon-client");
      return items.find((s) => s.toolCalls >= 3);
    }, "the anonymous session");
    expect(session).toMatchObject({
      userId: null,
      errors: 1,
      serverName: "notes-anonymous",
      stateless: false,
    });

    const users = await collector.get<UsersPage>("/users");
    expect(users.items).toEqual([]);
    expect(users.anonymousSessions).toBe(1);

    const errors = await collector.get<Page<{ tool: string; message: string }>>("/errors");
    expect(errors.items[0]).toMatchObject({ tool: "delete_note" });
    expect(errors.items[0]?.message).toContain("Note #42 does not exist");

    const intents = await collector.get<Page<IntentRow>>("/intents");
    expect(intents.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: "intent",
          tool: "search_notes",
          intent: "looking for the writing style guide",
        }),
        expect.objectContaining({ type: "missing_tool", intent: "wanted to export all notes as a PDF" }),
      ]),
    );
  });
});
