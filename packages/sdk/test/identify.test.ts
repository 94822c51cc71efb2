// Every identification rule, against real clients and servers (in-memory and Streamable HTTP).

import type { Event } from "@mcpsight/protocol";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { flush, type MCPSightOptions, track, type UserIdentity } from "../src/index.js";
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
  server.registerResource("readme", "notes://readme", {}, async (uri) => ({
    contents: [{ uri: uri.href, text: "read me" }],
  }));
  track(server, projectId, { apiBaseUrl: sink.url, ...options });
  return server;
}

const textArg = (event: Event): string =>
  String((event.parameters as { arguments?: { text?: unknown } } | undefined)?.arguments?.text);

/** A promise with its resolve function, to hold identify until the test lets it finish. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
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
    // Sorted by the echoed text ("1".."4"): batches may arrive in any order.
    const calls = ofType(events, "mcp:tools/call").sort((a, b) => textArg(a).localeCompare(textArg(b)));
    expect(calls.map((event) => event.identifyActorGivenId)).toEqual([
      "user-AAAA",
      "user-AAAA",
      "user-BBBB",
      "user-BBBB",
    ]);
    expect(
      ofType(events, "mcpsight:identify")
        .map((event) => event.identifyActorGivenId)
        .sort(),
    ).toEqual(["user-AAAA", "user-BBBB"]);
    expect(new Set(events.filter((e) => e.eventType.startsWith("mcp:")).map((e) => e.sessionId)).size).toBe(
      1,
    );
    expect(rawReceived(sink)).not.toContain("secret-token");
  });
});

describe("identity across a session's events", () => {
  it("attaches the identity to every event after identify, keeps earlier events in the session, one identify event per user", async () => {
    const projectId = newProject();
    const release = gate();
    const identified: string[] = [];
    const host = await startHttpHost("stateful", () =>
      echoServer(projectId, {
        identify: async (_request, extra) => {
          const token = String(extra.requestInfo?.headers.authorization).replace("Bearer ", "");
          await release.promise;
          identified.push(token);
          return { userId: `user-${token}`, userName: token.toUpperCase() };
        },
        // Each request says which step of the test sent it, so order does not depend on batching.
        eventTags: (_request, extra) => ({ step: String(extra.requestInfo?.headers["x-step"]) }),
      }),
    );
    const headers = { authorization: "Bearer ada", "x-step": "0" };
    const step = <T>(n: number, request: () => Promise<T>): Promise<T> => {
      headers["x-step"] = String(n);
      return request();
    };
    const client = await connectHttpClient(host.url, headers);
    await step(1, () => client.listTools());
    // The tool call answers while identify is still held: identification never delays a request.
    await step(2, () => client.callTool({ name: "echo", arguments: { text: "first" } }));
    await step(3, () => client.readResource({ uri: "notes://readme" }));
    expect(identified).toEqual([]);
    release.open();
    await flush();
    expect(identified).toEqual(["ada"]);
    await step(4, () => client.listTools());
    await step(5, () => client.callTool({ name: "echo", arguments: { text: "second" } }));
    await step(6, () => client.readResource({ uri: "notes://readme" }));
    // A new credential re-identifies on the next request of any kind: no event of bob's goes to ada.
    headers.authorization = "Bearer bob";
    await step(7, () => client.listTools());
    await step(8, () => client.callTool({ name: "echo", arguments: { text: "third" } }));
    await client.close();
    await host.close();

    expect(identified).toEqual(["ada", "bob"]);
    const events = await eventsOf(projectId);
    const [session, ...others] = new Set(events.map((event) => event.sessionId));
    expect(session).toMatch(/^ses_/);
    expect(others).toEqual([]);

    // Initialize and tools/list came before the first tool call: same session, no user yet. From
    // the first tool call on, every event carries the user of the session's current credential.
    const requests = events
      .filter((event) => event.eventType.startsWith("mcp:"))
      .sort((a, b) => Number(a.tags?.step) - Number(b.tags?.step));
    expect(requests.map((event) => [event.tags?.step, event.eventType, event.identifyActorGivenId])).toEqual([
      ["0", "mcp:initialize", undefined],
      ["1", "mcp:tools/list", undefined],
      ["2", "mcp:tools/call", "user-ada"],
      ["3", "mcp:resources/read", "user-ada"],
      ["4", "mcp:tools/list", "user-ada"],
      ["5", "mcp:tools/call", "user-ada"],
      ["6", "mcp:resources/read", "user-ada"],
      ["7", "mcp:tools/list", "user-bob"],
      ["8", "mcp:tools/call", "user-bob"],
    ]);
    expect(requests[2]).toMatchObject({ identifyActorName: "ADA" });
    expect(requests[7]).toMatchObject({ identifyActorName: "BOB" });

    // Exactly one identify event per user of the session, in the session.
    const identifyEvents = ofType(events, "mcpsight:identify");
    expect(identifyEvents.map((event) => [event.identifyActorGivenId, event.sessionId]).sort()).toEqual([
      ["user-ada", session],
      ["user-bob", session],
    ]);
    expect(rawReceived(sink)).not.toContain("Bearer");
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

  it("warns once per problem, though a stateless host builds and tracks a new server per request", async () => {
    const projectId = newProject();
    const logger = recordingLogger();
    const host = await statelessHost(projectId, {
      logger,
      identify: () => {
        throw new Error("db down");
      },
    });
    const client = await connectHttpClient(host.url);
    for (let i = 0; i < 3; i++) await client.callTool({ name: "echo", arguments: { text: String(i) } });
    await client.close();
    await host.close();
    expect(host.servers.length).toBeGreaterThan(3);
    expect(ofType(await eventsOf(projectId), "mcp:tools/call")).toHaveLength(3);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain("db down");
  });

  it.each([true, false])(
    "an identity that cannot be compared (BigInt userData) never becomes an unhandled rejection (tracing %s)",
    async (enableTracing) => {
      const projectId = newProject();
      const host = await statelessHost(projectId, {
        enableTracing,
        identify: () => ({ userId: "big", userData: { quota: 10n ** 20n } }),
      });
      const client = await connectHttpClient(host.url);
      for (let i = 0; i < 3; i++) {
        const result = await client.callTool({ name: "echo", arguments: { text: String(i) } });
        expect(result.content).toEqual([{ type: "text", text: String(i) }]);
      }
      await client.close();
      await host.close();
      const events = await eventsOf(projectId);
      expect(ofType(events, "mcp:tools/call")).toHaveLength(enableTracing ? 3 : 0);
      for (const event of events) {
        expect(event).toMatchObject({
          identifyActorGivenId: "big",
          identifyActorData: { quota: "100000000000000000000" },
        });
      }
      expect(ofType(events, "mcpsight:identify")).toHaveLength(1);
    },
  );

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
    expect(users.sort()).toEqual(["key-one-S", "key-one-S", "key-one-S", "key-one-S", "key-two-S"]);
    expect(rawReceived(sink)).not.toContain("SECRET");
  });
});
