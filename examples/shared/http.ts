// Hosts example servers over Streamable HTTP with Express (as the MCP SDK's own examples do), in
// the two modes servers run in: stateless (a fresh server per request, no session id) and
// stateful (one server per Mcp-Session-Id). Both answer every HTTP method as the Streamable HTTP
// transport specification says (examples/test/http-transport.test.ts checks it).
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

const jsonRpcError = (res: Response, status: number, code: number, message: string) =>
  res.status(status).json({ jsonrpc: "2.0", error: { code, message }, id: null });

/** 405 with the Allow header HTTP requires, for methods the endpoint does not serve. */
function methodNotAllowed(res: Response, allow: string[]): void {
  res.setHeader("Allow", allow.join(", "));
  jsonRpcError(res, 405, -32000, `Method not allowed: this endpoint accepts ${allow.join(", ")}.`);
}

/**
 * Handler for the MCP endpoint in stateless mode: every POST gets its own server and transport.
 * There are no sessions to stream on or end, so GET and DELETE are answered 405, as the Streamable
 * HTTP transport specification says (clients such as MCP Inspector 2.x take a 404 for a failure).
 */
export function statelessMcpHandler(create: () => McpServer) {
  return async (req: Request, res: Response): Promise<void> => {
    if (req.method !== "POST") {
      methodNotAllowed(res, ["POST"]);
      return;
    }
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
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `Internal error: ${String(error)}`);
    }
  };
}

const STATEFUL_METHODS = ["GET", "POST", "DELETE"];

/**
 * Handler for the MCP endpoint in stateful mode: a server per session, created at initialize. GET
 * opens the session's SSE stream, DELETE ends the session; a request without a session id (other
 * than initialize) is answered 400, one with an unknown or ended session id 404, so the client
 * starts a new session.
 */
export function statefulMcpHandler(create: () => McpServer) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  return async (req: Request, res: Response): Promise<void> => {
    if (!STATEFUL_METHODS.includes(req.method)) {
      methodNotAllowed(res, STATEFUL_METHODS);
      return;
    }
    const sessionId = req.header("mcp-session-id");
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (sessionId && !transport) {
      jsonRpcError(res, 404, -32001, "Session not found: it ended or never existed; initialize a new one.");
      return;
    }
    if (!transport) {
      if (req.method !== "POST" || !isInitializeRequest(req.body)) {
        jsonRpcError(
          res,
          400,
          -32000,
          "Bad Request: no Mcp-Session-Id header; send an initialize request first.",
        );
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
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `Internal error: ${String(error)}`);
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
