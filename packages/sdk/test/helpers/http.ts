// A real node:http server hosting tracked MCP servers over Streamable HTTP (SDK 1.x latest), in
// stateful mode (one McpServer per Mcp-Session-Id) or stateless mode (one per request).
import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

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
            enableJsonResponse: true,
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
 * A minimal Streamable HTTP client transport (POST, JSON responses). The SDK's own HTTP client
 * transport cannot be loaded by the test runner (its eventsource-parser dependency resolves to
 * TypeScript sources under the workspace's "source" condition); the server side is the real one.
 */
class JsonHttpClientTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  private protocolVersion: string | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const headers = new Headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    });
    if (this.sessionId) headers.set("mcp-session-id", this.sessionId);
    if (this.protocolVersion) headers.set("mcp-protocol-version", this.protocolVersion);
    for (const [name, value] of Object.entries(this.headers)) headers.set(name, value);
    const response = await fetch(this.url, { method: "POST", headers, body: JSON.stringify(message) });
    const session = response.headers.get("mcp-session-id");
    if (session) this.sessionId = session;
    const body = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
    if (!body) return;
    const parsed = JSON.parse(body) as JSONRPCMessage | JSONRPCMessage[];
    for (const reply of Array.isArray(parsed) ? parsed : [parsed]) this.onmessage?.(reply);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

/** Connects a real client; `headers` is read on every request, so tests can change it mid-session. */
export async function connectHttpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "http-client", version: "3.1.4" });
  await client.connect(new JsonHttpClientTransport(url, headers));
  return client;
}
