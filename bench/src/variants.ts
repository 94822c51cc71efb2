// One MCP server + client pair per variant, connected in memory, so only tracking differs.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type * as McpsightModule from "mcpsight";
import { z } from "zod";
import type { SinkProcess } from "./sink.js";

export type Variant = "untracked" | "mcpsight" | "mcpcat";

// MCPSIGHT_SDK points the bench at another build of the SDK (e.g. an earlier commit's dist/index.js)
// for back-to-back before/after runs; by default the workspace's built package.
const mcpsight: typeof McpsightModule = await import(process.env.MCPSIGHT_SDK || "mcpsight");

export interface ConnectOptions {
  /** mcpsight's flushIntervalMs; the default (1 s) unless set. */
  flushIntervalMs?: number;
}

export interface Connected {
  variant: Variant;
  client: Client;
  /** Waits until the variant's background delivery has caught up (no-op when untracked). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function createServer(): McpServer {
  const server = new McpServer({ name: "bench-server", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its input", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

export async function connect(
  variant: Variant,
  sink: SinkProcess,
  options: ConnectOptions = {},
): Promise<Connected> {
  const server = createServer();
  let settle = async () => {};
  if (variant === "mcpsight") {
    mcpsight.track(server, "proj_bench", { apiBaseUrl: sink.url, flushIntervalMs: options.flushIntervalMs });
    settle = () => mcpsight.flush(10_000);
  } else if (variant === "mcpcat") {
    const mcpcat = await import("mcpcat");
    mcpcat.track(server, "proj_bench", { apiBaseUrl: sink.url, disableDiagnostics: true });
    settle = async () => {
      await sink.waitQuiet(30_000);
    };
  }
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "bench-client", version: "1.0.0" });
  await client.connect(clientTransport);
  return {
    variant,
    client,
    settle: () => settle(),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** One tools/call round trip. */
export async function callEcho(client: Client, index: number): Promise<void> {
  await client.callTool({ name: "echo", arguments: { text: `hello ${index}` } });
}

/**
 * Lets the event loop turn once, as it does between requests on a real (stdio or HTTP) transport.
 * An in-memory round trip is all microtasks, so without this, work an SDK defers to the next
 * turn (setImmediate) would pile up for the whole loop and run outside the measured calls.
 */
export const nextRequest = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
