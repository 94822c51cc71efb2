import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { flush, track } from "mcpsight";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunningServer } from "../src/server.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { ADMIN_TOKEN, api, derived, removeDir, startCollector, tempDir } from "./helpers.js";

type SessionItem = {
  sessionId: string;
  userId: string | null;
  stateless: boolean;
  toolCalls: number;
  events: number;
};

/** A tracked server with one tool, connected to a client in memory. */
async function trackedClient(
  url: string,
  projectId: string,
  options: { stateless?: boolean; userId?: string | null },
): Promise<Client> {
  const server = new McpServer({ name: "notes", version: "1.0.0" });
  server.tool("add_note", { text: z.string() }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  track(server, projectId, {
    apiBaseUrl: url,
    ...(options.stateless ? { stateless: true } : {}),
    identify: async () =>
      options.userId ? { userId: options.userId, userName: `Name of ${options.userId}` } : null,
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "sdk-test-client", version: "3.0.0" });
  await client.connect(clientTransport);
  return client;
}

describe.each(BACKENDS)("this repo's SDK (mcpsight) sending to the collector ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };
  const sessions = (query: string) =>
    api<{ items: SessionItem[] }>(
      collector.url,
      `/api/v1/projects/${collector.projectId}/sessions?${query}`,
      {
        token: ADMIN_TOKEN,
      },
    );

  beforeAll(async () => {
    database = await backend.create();
    collector = await startCollector(dir, database.url);
  });
  afterAll(async () => {
    await collector.close();
    await database.drop();
    removeDir(dir);
  });

  it("records stateful sessions with their user", async () => {
    const client = await trackedClient(collector.url, collector.projectId, { userId: "stateful-user" });
    await client.callTool({ name: "add_note", arguments: { text: "one", context: "taking notes" } });
    await client.callTool({ name: "add_note", arguments: { text: "two", context: "taking notes" } });
    await flush();
    await derived(collector.url);
    const found = await sessions("userId=stateful-user");
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ userId: "stateful-user", stateless: false, toolCalls: 2 });
    const user = await api(collector.url, `/api/v1/projects/${collector.projectId}/users/stateful-user`, {
      token: ADMIN_TOKEN,
    });
    expect(user.body).toMatchObject({
      user: { userName: "Name of stateful-user", toolCalls: 2, sessions: 1 },
    });
    await client.close();
  });

  it("groups stateless events of one user into one session; anonymous ones stay apart", async () => {
    const identified = await trackedClient(collector.url, collector.projectId, {
      stateless: true,
      userId: "stateless-user",
    });
    for (const text of ["a", "b", "c"]) await identified.callTool({ name: "add_note", arguments: { text } });
    const anonymous = await trackedClient(collector.url, collector.projectId, {
      stateless: true,
      userId: null,
    });
    for (const text of ["x", "y"]) await anonymous.callTool({ name: "add_note", arguments: { text } });
    await flush();
    await derived(collector.url);

    // Grouping is by user + client; the initialize event names the client, stateless tool calls
    // do not, so the calls form one session of their own.
    const mine = await sessions("userId=stateless-user&tool=add_note");
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).toMatchObject({ stateless: true, toolCalls: 3 });
    const anon = await sessions("stateless=true&anonymous=true&tool=add_note");
    expect(anon.body.items).toHaveLength(2);
    expect(anon.body.items.every((s) => s.events === 1 && s.userId === null)).toBe(true);
    await identified.close();
    await anonymous.close();
  });
});

describe("this repo's SDK with a base URL that has a path (the collector's batch route under it)", () => {
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };
  beforeAll(async () => {
    collector = await startCollector(dir);
  });
  afterAll(async () => {
    await collector.close();
    removeDir(dir);
  });

  it("warns once that the URL is no collector's base URL, not that the project is unknown", async () => {
    const warnings: string[] = [];
    const server = new McpServer({ name: "notes", version: "1.0.0" });
    server.tool("add_note", { text: z.string() }, async ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    track(server, collector.projectId, {
      apiBaseUrl: `${collector.url}/sub`,
      logger: { warn: (message: string) => warnings.push(message), debug: () => {}, error: () => {} },
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: "sdk-test-client", version: "3.0.0" });
    await client.connect(clientTransport);
    for (let i = 0; i < 2; i++) {
      await client.callTool({ name: "add_note", arguments: { text: `note ${i}` } });
      await flush();
    }
    await client.close();
    const about = warnings.filter((message) => message.includes("HTTP 404"));
    expect(about).toHaveLength(1);
    expect(about[0]).toContain(`${collector.url}/sub answered HTTP 404 to POST /v1/batch`);
    expect(about[0]).toContain("without a path");
    expect(about[0]).not.toContain("has no project");
  });
});
