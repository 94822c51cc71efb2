// Hosts example servers over Streamable HTTP with Express (as the MCP SDK's own examples do), in
// the two modes servers run in: stateless (a fresh server per request, no session id) and
// stateful (one server per Mcp-Session-Id).
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Express, Request, Response } from "express";
import { shutdown } from "mcpsight";

const HOST = "127.0.0.1";

/** An Express app bound to 127.0.0.1 with JSON bodies and DNS-rebinding protection. */
export const createApp = (): Express => createMcpExpressApp({ host: HOST });

const jsonRpcError = (res: Response, status: number, message: string) =>
  res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });

/** POST handler for stateless mode: every request gets its own server and transport. */
export function statelessMcpHandler(create: () => McpServer) {
  return async (req: Request, res: Response): Promise<void> => {
    const server = create();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      if (!res.headersSent) jsonRpcError(res, 500, `Internal error: ${String(error)}`);
    }
  };
}

/** Handler for GET/POST/DELETE in stateful mode: a server per session, created at initialize. */
export function statefulMcpHandler(create: () => McpServer) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  return async (req: Request, res: Response): Promise<void> => {
    const sessionId = req.header("mcp-session-id");
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId || req.method !== "POST" || !isInitializeRequest(req.body)) {
        jsonRpcError(res, 400, "No valid session: send an initialize request first.");
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await create().connect(created);
      transport = created;
    }
    try {
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      if (!res.headersSent) jsonRpcError(res, 500, `Internal error: ${String(error)}`);
    }
  };
}

/**
 * Listens on 127.0.0.1:`port` (0 = any free port) and prints the MCP endpoint to stderr. On
 * SIGINT/SIGTERM it stops accepting, sends what was recorded and exits.
 */
export async function listen(app: Express, port: number, label: string): Promise<string> {
  const http = await new Promise<ReturnType<Express["listen"]>>((resolve, reject) => {
    const server = app.listen(port, HOST, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
  const url = `http://${HOST}:${(http.address() as AddressInfo).port}/mcp`;
  console.error(`${label} listening on ${url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    http.close();
    http.closeAllConnections();
    void shutdown().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return url;
}
