// A real node:http server hosting tracked MCP servers over Streamable HTTP (SDK 1.x latest), in
// stateful mode (one McpServer per Mcp-Session-Id, answers as SSE streams) or stateless mode (no
// session id, one McpServer per request, JSON answers), and a real client to talk to it.
import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

export interface HttpHost {
  url: string;
  /** Servers created so far (one per session or per request). */
  servers: McpServer[];
  close(): Promise<void>;
}

/** Starts an HTTP host; `createServer` builds (and tracks) a new McpServer. */
export async function startHttpHost(
  mode: "stateful" | "stateless",
  create: () => McpServer,
): Promise<HttpHost> {
  const servers: McpServer[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      const sessionId = req.headers["mcp-session-id"];
      let transport = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (mode === "stateless") {
          transport = new StreamableHTTPServerTransport({
            sessionIdGenerator: undefined,
            enableJsonResponse: true,
          });
        } else {
          transport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
              if (transport) sessions.set(id, transport);
            },
          });
        }
        const server = create();
        servers.push(server);
        await server.connect(transport);
        if (mode === "stateless") res.on("close", () => void server.close());
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    servers,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * Connects a real client over the SDK's `StreamableHTTPClientTransport`. The transport reads
 * `requestInit.headers` on every request, so a test can change `headers` mid-session (token rotation).
 */
export async function connectHttpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "http-client", version: "3.1.4" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
