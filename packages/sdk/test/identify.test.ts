// Every identification rule, against real clients and servers (in-memory and Streamable HTTP).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type MCPSightOptions, track, type UserIdentity } from "../src/index.js";
import { ofType, rawReceived, receivedEvents, recordingLogger } from "./helpers/events.js";
import { connectHttpClient, startHttpHost } from "./helpers/http.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;
const newProject = () => `identify-${counter++}`;
const eventsOf = async (projectId: string) =>
  (await receivedEvents(sink)).filter((event) => event.projectId === projectId);

function echoServer(projectId: string, options: MCPSightOptions): McpServer {
  const server = new McpServer({ name: "id-server", version: "1.0.0" });
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  track(server, projectId, { apiBaseUrl: sink.url, ...options });
  return server;
}

/** Runs `calls` echo calls on a fresh in-memory connection. */
async function inMemorySession(projectId: string, options: MCPSightOptions, calls = 3): Promise<void> {
  const server = echoServer(projectId, options);
  const client = await v1Latest.connect(server);
  for (let i = 0; i < calls; i++) {
    const result = await client.callTool({ name: "echo", arguments: { text: `call ${i}`, context: "test" } });
    expect(result.content).toEqual([{ type: "text", text: `call ${i}` }]);
  }
  await client.close();
}

describe("stateful sessions", () => {
  it("identifies once per session on the first tool call and attaches the identity to every later event", async () => {
    const projectId = newProject();
    let calls = 0;
    await inMemorySession(
      projectId,
      {
        identify: () => {
          calls++;
          return { userId: "u-1", userName: "Ada", userData: { plan: "pro" } };
        },
      },
      5,
    );
    expect(calls).toBe(1);
    const events = await eventsOf(projectId);
    const toolCalls = ofType(events, "mcp:tools/call");
    expect(toolCalls).toHaveLength(5);
    for (const event of toolCalls) {
      expect(event).toMatchObject({
        identifyActorGivenId: "u-1",
        identifyActorName: "Ada",
        identifyActorData: { plan: "pro" },
      });
    }
    const identifyEvents = ofType(events, "mcpsight:identify");
    expect(identifyEvents).toHaveLength(1);
    // Earlier events (initialize) share the session id so the collector can attribute them.
    expect(new Set(events.map((event) => event.sessionId)).size).toBe(1);
    expect(ofType(events, "mcp:initialize")[0]?.sessionId).toBe(identifyEvents[0]?.sessionId);
  });

  it("gives two sessions two identities", async () => {
    const projectId = newProject();
    let next = 0;
    const identify = (): UserIdentity => ({ userId: `user-${next++}` });
    await inMemorySession(projectId, { identify }, 2);
    await inMemorySession(projectId, { identify }, 2);
    const calls = ofType(await eventsOf(projectId), "mcp:tools/call");
    const bySession = new Map<string | undefined, Set<string | undefined>>();
    for (const event of calls) {
      const users = bySession.get(event.sessionId) ?? new Set();
      users.add(event.identifyActorGivenId);
      bySession.set(event.sessionId, users);
    }
    expect([...bySession.values()].map((users) => [...users])).toEqual([["user-0"], ["user-1"]]);
  });

  const failures: [string, MCPSightOptions["identify"], string][] = [
    [
      "throws",
      () => {
        throw new Error("db down");
      },
      "threw",
    ],
    [
      "rejects",
      async () => {
        throw new Error("db down");
      },
      "rejected",
    ],
    ["times out", () => new Promise<UserIdentity>(() => {}), "timed out"],
    ["returns an invalid shape", () => ({ id: 42 }) as unknown as UserIdentity, "invalid identity"],
  ];
  it.each(failures)(
    "when identify %s the calls succeed, anonymously, with exactly one warning",
    async (_name, identify, problem) => {
      const projectId = newProject();
      const logger = recordingLogger();
      await inMemorySession(projectId, { identify, logger, identifyTimeoutMs: 50 }, 3);
      const events = await eventsOf(projectId);
      expect(ofType(events, "mcp:tools/call")).toHaveLength(3);
      expect(events.every((event) => event.identifyActorGivenId === undefined)).toBe(true);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain(problem);
    },
  );

  it.each([null, undefined])("identify returning %s is anonymous without a warning", async (value) => {
    const projectId = newProject();
    const logger = recordingLogger();
    await inMemorySession(projectId, { identify: () => value, logger }, 2);
    const events = await eventsOf(projectId);
    expect(ofType(events, "mcp:tools/call")).toHaveLength(2);
    expect(ofType(events, "mcpsight:identify")).toHaveLength(0);
    expect(logger.warnings).toEqual([]);
  });

  it("without identify every session is anonymous and fully tracked", async () => {
    const projectId = newProject();
    await inMemorySession(projectId, {}, 2);
    const events = await eventsOf(projectId);
    expect(ofType(events, "mcp:tools/call")).toHaveLength(2);
    expect(events.every((event) => event.identifyActorGivenId === undefined && event.sessionId)).toBe(true);
  });

  it("re-identifies when the session's credential changes, and never sends the credential", async () => {
    const projectId = newProject();
    const seen: string[] = [];
    const host = await startHttpHost("stateful", () =>
      echoServer(projectId, {
        identify: (_request, extra) => {
          const header = extra.requestInfo?.headers.authorization;
          const token = String(header).replace("Bearer ", "");
          seen.push(token);
          return { userId: `user-${token.slice(-4)}` };
        },
      }),
    );
    const headers = { authorization: "Bearer secret-token-AAAA" };
    const client = await connectHttpClient(host.url, headers);
    await client.listTools();
    await client.callTool({ name: "echo", arguments: { text: "1" } });
    await client.callTool({ name: "echo", arguments: { text: "2" } });
    headers.authorization = "Bearer secret-token-BBBB";
    await client.callTool({ name: "echo", arguments: { text: "3" } });
    await client.callTool({ name: "echo", arguments: { text: "4" } });
    await client.close();
    await host.close();

    expect(seen).toEqual(["secret-token-AAAA", "secret-token-BBBB"]);
    const events = await eventsOf(projectId);
    const calls = ofType(events, "mcp:tools/call");
    expect(calls.map((event) => event.identifyActorGivenId)).toEqual([
      "user-AAAA",
      "user-AAAA",
      "user-BBBB",
      "user-BBBB",
    ]);
    expect(ofType(events, "mcpsight:identify").map((event) => event.identifyActorGivenId)).toEqual([
      "user-AAAA",
      "user-BBBB",
    ]);
    expect(new Set(events.filter((e) => e.eventType.startsWith("mcp:")).map((e) => e.sessionId)).size).toBe(
      1,
    );
    expect(rawReceived(sink)).not.toContain("secret-token");
  });
});

describe("stateless servers", () => {
  const statelessHost = (projectId: string, options: MCPSightOptions) =>
    startHttpHost("stateless", () => echoServer(projectId, options));

  it("identifies every request and sends stateless events without a session id", async () => {
    const projectId = newProject();
    let calls = 0;
    const host = await statelessHost(projectId, {
      identify: () => {
        calls++;
        return { userId: "svc-user" };
      },
    });
    const client = await connectHttpClient(host.url, {
      "x-mcp-client-name": "header-client",
      "x-mcp-client-version": "7",
    });
    await client.listTools();
    await client.callTool({ name: "echo", arguments: { text: "a" } });
    await client.callTool({ name: "echo", arguments: { text: "b" } });
    await client.close();
    await host.close();
    const events = await eventsOf(projectId);
    const requests = events.filter((event) => event.eventType.startsWith("mcp:"));
    expect(calls).toBe(requests.length);
    for (const event of requests) {
      expect(event.stateless).toBe(true);
      expect(event.sessionId).toBeUndefined();
      expect(event.identifyActorGivenId).toBe("svc-user");
    }
    const toolCalls = ofType(events, "mcp:tools/call");
    expect(toolCalls).toHaveLength(2);
    expect(toolCalls[0]).toMatchObject({ clientName: "header-client", clientVersion: "7" });
    expect(ofType(events, "mcpsight:identify")).toHaveLength(1);
  });

  it("identifyCache memoises per credential fingerprint", async () => {
    const projectId = newProject();
    let calls = 0;
    const host = await statelessHost(projectId, {
      identify: (_request, extra) => {
        calls++;
        return { userId: String(extra.requestInfo?.headers["x-api-key"]).slice(0, 9) };
      },
      identifyCache: { ttlMs: 60_000 },
    });
    const client = await connectHttpClient(host.url, { "x-api-key": "key-one-SECRET" });
    for (let i = 0; i < 4; i++) await client.callTool({ name: "echo", arguments: { text: String(i) } });
    await client.close();
    const other = await connectHttpClient(host.url, { "x-api-key": "key-two-SECRET" });
    await other.callTool({ name: "echo", arguments: { text: "x" } });
    await other.close();
    await host.close();
    expect(calls).toBe(2);
    const users = ofType(await eventsOf(projectId), "mcp:tools/call").map(
      (event) => event.identifyActorGivenId,
    );
    expect(users).toEqual(["key-one-S", "key-one-S", "key-one-S", "key-one-S", "key-two-S"]);
    expect(rawReceived(sink)).not.toContain("SECRET");
  });
});
