import { createServer, type IncomingMessage, type Server } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { flush, track } from "mcpsight";
import { z } from "zod";

/** Payloads that would run script if any page rendered user data as HTML. */
export const XSS_NAME = `<img src=x onerror="window.__xss=1">`;
export const XSS_SCRIPT = "<script>window.__xss=1</script>";

export interface Identity {
  userId: string;
  userName?: string;
  userData?: Record<string, unknown>;
}

export const ADA: Identity = {
  userId: "u_ada",
  userName: "Ada Lovelace",
  userData: { plan: "pro", team: "analytics", seats: 5 },
};
export const MALLORY: Identity = { userId: "u_xss", userName: XSS_NAME, userData: { bio: XSS_SCRIPT } };
export const BOB: Identity = { userId: "u_bob", userName: "Bob Stateless", userData: { plan: "free" } };

export const INTENT_SEARCH = "find running shoes for a marathon";
export const ERROR_MESSAGE = "upstream timeout while searching the catalogue";
export const MISSING_TOOL_CONTEXT = "wanted to export the results as a CSV file";

/** The example MCP server every session talks to: a search tool, a tool that fails, a slow one. */
function buildServer(): McpServer {
  const server = new McpServer({ name: "shop-server", version: "1.4.0" });
  server.registerTool(
    "search",
    { description: "Search the catalogue", inputSchema: { query: z.string(), limit: z.number().optional() } },
    async ({ query, limit }) => ({
      content: [{ type: "text", text: `${limit ?? 3} results for ${query}` }],
    }),
  );
  server.registerTool(
    "checkout",
    { description: "Buy the basket", inputSchema: { basketId: z.string() } },
    async () => {
      throw new Error(ERROR_MESSAGE);
    },
  );
  return server;
}

type Options = Parameters<typeof track>[2];

function tracked(projectId: string, apiBaseUrl: string, options: Options): McpServer {
  const server = buildServer();
  track(server, projectId, { apiBaseUrl, flushIntervalMs: 200, ...options });
  return server;
}

/** A stateful session over an in-memory transport: one server instance per connection. */
async function statefulSession(
  projectId: string,
  apiBaseUrl: string,
  identity: Identity | null,
  client: { name: string; version: string },
  script: (c: Client) => Promise<void>,
): Promise<void> {
  const server = tracked(projectId, apiBaseUrl, { identify: async () => identity });
  const mcpClient = new Client(client);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await mcpClient.connect(clientSide);
  await script(mcpClient);
  await mcpClient.close();
  await server.close();
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

/** A stateless Streamable HTTP server (no session ids): a new server and transport per request. */
async function startStatelessServer(
  projectId: string,
  apiBaseUrl: string,
): Promise<{ url: string; http: Server }> {
  const http = createServer(async (req, res) => {
    try {
      const server = tracked(projectId, apiBaseUrl, {
        stateless: true,
        identify: async (_request, extra) => {
          const headers = (extra as { requestInfo?: { headers?: Record<string, unknown> } }).requestInfo
            ?.headers;
          return headers?.authorization === "Bearer bob-token" ? BOB : null;
        },
      });
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.method === "POST" ? await readBody(req) : undefined);
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  await new Promise<void>((ok) => http.listen(0, "127.0.0.1", ok));
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/mcp`, http };
}

/**
 * Sends real traffic through the SDK: two identified users (one with script in their name), an
 * anonymous session, a stateless user over HTTP, errors, intents and a missing-tool report.
 */
export async function sendTraffic(projectId: string, apiBaseUrl: string): Promise<void> {
  await statefulSession(projectId, apiBaseUrl, ADA, { name: "claude-ai", version: "0.1.0" }, async (c) => {
    await c.listTools();
    await c.callTool({
      name: "search",
      arguments: { query: "running shoes", limit: 5, context: INTENT_SEARCH },
    });
    await c.callTool({ name: "checkout", arguments: { basketId: "b_42", context: "buy the chosen shoes" } });
    await c
      .callTool({ name: "get_more_tools", arguments: { context: MISSING_TOOL_CONTEXT } })
      .catch(() => undefined);
  });
  await statefulSession(projectId, apiBaseUrl, ADA, { name: "cursor", version: "1.7.2" }, async (c) => {
    await c.callTool({ name: "search", arguments: { query: "trail shoes", context: "compare trail shoes" } });
  });
  await statefulSession(
    projectId,
    apiBaseUrl,
    MALLORY,
    { name: "claude-ai", version: "0.1.0" },
    async (c) => {
      await c.callTool({ name: "search", arguments: { query: XSS_SCRIPT, context: XSS_NAME } });
    },
  );
  await statefulSession(projectId, apiBaseUrl, null, { name: "windsurf", version: "3.0.0" }, async (c) => {
    await c.listTools();
    await c.callTool({ name: "search", arguments: { query: "socks", context: "anonymous browsing" } });
  });

  const stateless = await startStatelessServer(projectId, apiBaseUrl);
  try {
    const client = new Client({ name: "claude-code", version: "2.0.1" });
    // Only `initialize` carries clientInfo; a stateless client names itself on every request with
    // these headers, so the collector can keep its requests in one session.
    const transport = new StreamableHTTPClientTransport(new URL(stateless.url), {
      requestInit: {
        headers: {
          Authorization: "Bearer bob-token",
          "X-MCP-Client-Name": "claude-code",
          "X-MCP-Client-Version": "2.0.1",
        },
      },
    });
    await client.connect(transport);
    await client.callTool({
      name: "search",
      arguments: { query: "rain jacket", context: "stay dry on a hike" },
    });
    await client.callTool({ name: "search", arguments: { query: "umbrella", context: "stay dry in town" } });
    await client.close();
  } finally {
    await new Promise((ok) => stateless.http.close(ok));
  }
  await flush();
}

/** A stateful session of Ada kept open, to watch a replay update live. */
export async function openLiveSession(
  projectId: string,
  apiBaseUrl: string,
): Promise<{ call: (query: string) => Promise<void>; close: () => Promise<void> }> {
  const server = tracked(projectId, apiBaseUrl, { identify: async () => ADA });
  const client = new Client({ name: "claude-ai", version: "0.1.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    call: async (query) => {
      await client.callTool({ name: "search", arguments: { query, context: `live: ${query}` } });
      await flush();
    },
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
