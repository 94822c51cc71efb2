// What flush() waits for, and the order of a session's identify event and the calls parked behind
// its identify: real clients and tracked McpServers over the in-memory transport and Streamable
// HTTP, delivering to a real HTTP sink. Identify is held by gates the tests open.
import type { Event } from "@mcpsight/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { flush, type MCPSightOptions, track } from "../src/index.js";
import { trackerOf } from "../src/track.js";
import { ofType } from "./helpers/events.js";
import { connectHttpClient, startHttpHost } from "./helpers/http.js";
import { Sink } from "./helpers/sink.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;
const newProject = () => `flush-${counter++}`;

/** A promise with its resolve function, to hold identify until the test lets it finish. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Events leave only when flushed: the first tracker of this file's sink creates its delivery, and
 * its timer would otherwise send whatever is queued.
 */
const ONLY_ON_FLUSH: MCPSightOptions = { flushIntervalMs: 600_000 };

function echoServer(projectId: string, options: MCPSightOptions): McpServer {
  const server = new McpServer({ name: "flush-server", version: "1.0.0" });
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  track(server, projectId, { apiBaseUrl: sink.url, ...ONLY_ON_FLUSH, ...options });
  return server;
}

async function connect(server: McpServer): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "flush-client", version: "1.0.0" });
  await client.connect(clientTransport);
  return client;
}

const echo = (client: Client, text: string) => client.callTool({ name: "echo", arguments: { text } });

/** The text a tools/call event echoed. */
const textOf = (event: Event): string =>
  String((event.parameters as { arguments?: { text?: unknown } } | undefined)?.arguments?.text);

const eventsOf = (projectId: string): Event[] => sink.events.filter((e) => e.projectId === projectId);

/** Resolves once the servers' pipelines took every recorded event: a call held by identify is parked. */
async function taken(servers: McpServer[]): Promise<void> {
  while (servers.some((server) => (trackerOf(server)?.pipeline.waitingCount ?? 0) > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe("flush", () => {
  it("waits for the events recorded before it, not for those recorded while it waits", async () => {
    const projectId = newProject();
    const gates = { first: gate(), later: gate() };
    let laterIdentified = false;
    const options: MCPSightOptions = {
      identify: async (request) => {
        const who = String(request.params?.arguments?.text);
        await (who === "first" ? gates.first : gates.later).promise;
        if (who === "later") laterIdentified = true;
        return { userId: `user-${who}` };
      },
    };
    const early = await connect(echoServer(projectId, options));
    const busy = await connect(echoServer(projectId, options));

    // Recorded before the flush: parked until its session's identify returns.
    await echo(early, "first");
    const flushing = flush();
    // Traffic while the flush waits, held by an identify that has not returned.
    for (let i = 0; i < 3; i++) await echo(busy, "later");
    gates.first.open();
    await flushing;

    // The flush returned while the later identify was still held, with the earlier events delivered.
    expect(laterIdentified).toBe(false);
    const delivered = eventsOf(projectId);
    const calls = ofType(delivered, "mcp:tools/call");
    expect(calls.map((event) => [textOf(event), event.identifyActorGivenId])).toEqual([
      ["first", "user-first"],
    ]);
    expect(ofType(delivered, "mcpsight:identify").map((event) => event.identifyActorGivenId)).toEqual([
      "user-first",
    ]);

    gates.later.open();
    await flush();
    const all = ofType(eventsOf(projectId), "mcp:tools/call");
    expect(all.map((event) => [textOf(event), event.identifyActorGivenId])).toEqual([
      ["first", "user-first"],
      ["later", "user-later"],
      ["later", "user-later"],
      ["later", "user-later"],
    ]);
    await early.close();
    await busy.close();
  });
});

describe("the identify event", () => {
  const redactions: [string, MCPSightOptions][] = [
    ["without redaction", {}],
    ["with an asynchronous redaction", { redactSensitiveInformation: async (text) => text }],
  ];

  it.each(redactions)("is delivered before the calls parked behind its identify (%s)", async (_, extra) => {
    const projectId = newProject();
    const release = gate();
    const server = echoServer(projectId, {
      ...extra,
      identify: async () => {
        await release.promise;
        return { userId: "ada" };
      },
    });
    const client = await connect(server);
    await echo(client, "one");
    await echo(client, "two");
    await taken([server]);
    release.open();
    await flush();

    const order = eventsOf(projectId)
      .filter((event) => event.eventType !== "mcp:initialize")
      .map((event) => [event.eventType, event.identifyActorGivenId]);
    expect(order).toEqual([
      ["mcpsight:identify", "ada"],
      ["mcp:tools/call", "ada"],
      ["mcp:tools/call", "ada"],
    ]);
    await client.close();
  });

  it("is delivered before the stateless request that identified its user", async () => {
    const projectId = newProject();
    const release = gate();
    const host = await startHttpHost("stateless", () =>
      echoServer(projectId, {
        identify: async () => {
          await release.promise;
          return { userId: "ada" };
        },
      }),
    );
    const client = await connectHttpClient(host.url);
    await client.callTool({ name: "echo", arguments: { text: "one" } });
    await taken(host.servers);
    release.open();
    await flush();

    const types = eventsOf(projectId).map((event) => event.eventType);
    expect(types[0]).toBe("mcpsight:identify");
    expect(types.filter((type) => type === "mcpsight:identify")).toHaveLength(1);
    expect(types).toContain("mcp:tools/call");
    await client.close();
    await host.close();
  });
});
