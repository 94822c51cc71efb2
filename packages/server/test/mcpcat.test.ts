import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpcat";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunningServer } from "../src/server.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { ADMIN_TOKEN, api, removeDir, startCollector, tempDir } from "./helpers.js";

/** Polls until `check` passes; the published SDK sends asynchronously. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(BACKENDS)("the published mcpcat SDK sending to the collector ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };

  beforeAll(async () => {
    database = await backend.create();
    collector = await startCollector(dir, database.url);
  });
  afterAll(async () => {
    await collector.close();
    await database.drop();
    removeDir(dir);
  });

  it("shows the user, identity and session in the query API", async () => {
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    server.tool("forecast", { city: z.string() }, async ({ city }) => ({
      content: [{ type: "text", text: `Sunny in ${city}` }],
    }));
    track(server, collector.projectId, {
      apiBaseUrl: collector.url,
      disableDiagnostics: true,
      identify: async () => ({ userId: "cat-user", userName: "Cat User", userData: { plan: "pro" } }),
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: "cat-client", version: "2.0.0" });
    await client.connect(clientTransport);
    await client.callTool({ name: "forecast", arguments: { city: "Oslo", context: "plan a trip" } });
    await client.callTool({ name: "forecast", arguments: { city: "Rome", context: "plan a trip" } });

    const path = `/api/v1/projects/${collector.projectId}`;
    const profile = await eventually(
      () =>
        api<{ user?: { toolCalls: number } }>(collector.url, `${path}/users/cat-user`, {
          token: ADMIN_TOKEN,
        }),
      (res) => res.status === 200 && (res.body.user?.toolCalls ?? 0) >= 2,
    );
    expect(profile.body).toMatchObject({
      user: { userId: "cat-user", userName: "Cat User", userData: { plan: "pro" }, sessions: 1 },
      clients: [{ name: "cat-client", version: "2.0.0" }],
      topTools: [{ name: "forecast", calls: 2 }],
    });
    const sessions = await api<{ items: { sessionId: string; userId: string }[] }>(
      collector.url,
      `${path}/sessions?userId=cat-user`,
      { token: ADMIN_TOKEN },
    );
    expect(sessions.body.items).toHaveLength(1);
    const sessionId = sessions.body.items[0]?.sessionId ?? "";
    const replay = await api<{
      events: { eventType: string; userId: string; resourceName: string | null }[];
    }>(collector.url, `${path}/sessions/${encodeURIComponent(sessionId)}`, { token: ADMIN_TOKEN });
    const types = replay.body.events.map((e) => e.eventType);
    expect(types).toContain("mcpsight:identify");
    expect(types.filter((t) => t === "mcp:tools/call")).toHaveLength(2);
    expect(replay.body.events.every((e) => e.userId === "cat-user")).toBe(true);
    await client.close();
  });
});
