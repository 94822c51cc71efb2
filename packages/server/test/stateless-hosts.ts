// Stateless Streamable HTTP servers tracked by mcpsight, as users host them, and real MCP clients
// that run against them: the official Python SDK (a child process), the TypeScript SDK v2 client
// and the SDK 1.11 client.
import { execFile } from "node:child_process";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { McpServer as McpServerLatest } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport as TransportLatest } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpHandler, fromJsonSchema, McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { Client as Client111 } from "mcp-sdk-1-11/client/index.js";
import { StreamableHTTPClientTransport as Transport111 } from "mcp-sdk-1-11/client/streamableHttp.js";
import { McpServer as McpServer111 } from "mcp-sdk-1-11/server/mcp.js";
import { StreamableHTTPServerTransport as TransportServer111 } from "mcp-sdk-1-11/server/streamableHttp.js";
import { type MCPSightOptions, track } from "mcpsight";
import { z } from "zod";
import { pythonWithMcp } from "./python.js";

export const API_KEY_HEADER = "x-api-key";

/** What every test server does: one `echo` tool, tracked into `projectId`. */
export interface TrackedServerSpec {
  apiBaseUrl: string;
  projectId: string;
  /** Users by API key; requests without a known key are anonymous. */
  users: Record<string, string>;
}

const echo = (text: string) => ({ content: [{ type: "text" as const, text }] });

/** identify as a user writes it: the bearer token (SDK middleware) or the X-API-Key header. */
function trackOptions(spec: TrackedServerSpec): MCPSightOptions {
  return {
    apiBaseUrl: spec.apiBaseUrl,
    flushIntervalMs: 50,
    identify: (_request, extra) => {
      const header = extra.requestInfo?.headers?.[API_KEY_HEADER];
      const key = extra.authInfo?.token ?? (typeof header === "string" ? header : undefined);
      const userId = key === undefined ? undefined : spec.users[key];
      return userId ? { userId } : null;
    },
  };
}

export interface StatelessHost {
  url: string;
  close(): Promise<void>;
}

export interface ServerKind {
  name: string;
  start(spec: TrackedServerSpec): Promise<StatelessHost>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
}

async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<StatelessHost> {
  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Answers what a stateless server does not serve (GET, DELETE) with 405, as the transport spec says. */
function notAllowed(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "POST") return false;
  res.writeHead(405, { allow: "POST" }).end();
  return true;
}

interface NodeServer {
  connect(transport: unknown): Promise<void>;
  close(): Promise<void>;
}
interface NodeTransport {
  handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void>;
}

/**
 * A stateless host on an SDK 1.x Node transport: a fresh McpServer and transport per POST (the
 * SDK's stateless example). With `keyAsAuth` the API key reaches identify as `authInfo`, the way
 * the SDK's bearer-auth middleware passes it (`req.auth`).
 */
function nodeTransportHost(
  name: string,
  createServer: () => NodeServer,
  createTransport: () => NodeTransport,
  keyAsAuth: boolean,
): ServerKind {
  return {
    name,
    start: (spec) =>
      listen(async (req, res) => {
        if (notAllowed(req, res)) return;
        const body = await readJson(req);
        const key = req.headers[API_KEY_HEADER];
        if (keyAsAuth && typeof key === "string") {
          (req as IncomingMessage & { auth?: unknown }).auth = { token: key, clientId: "test", scopes: [] };
        }
        const server = track(createServer(), spec.projectId, trackOptions(spec));
        const transport = createTransport();
        res.on("close", () => void server.close());
        await server.connect(transport);
        await transport.handleRequest(req, res, body);
      }),
  };
}

export const sdkLatest = nodeTransportHost(
  "sdk 1.x latest",
  () => {
    const server = new McpServerLatest({ name: "stateless-latest", version: "1.0.0" });
    server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => echo(text));
    return server;
  },
  () => new TransportLatest({ sessionIdGenerator: undefined }),
  false,
);

/** SDK 1.11 passes no request headers to handlers: identify reads the key from `authInfo`. */
export const sdk111 = nodeTransportHost(
  "sdk 1.11.5",
  () => {
    const server = new McpServer111({ name: "stateless-1-11", version: "1.0.0" });
    server.tool("echo", { text: z.string() }, async ({ text }) => echo(text));
    return server;
  },
  () => new TransportServer111({ sessionIdGenerator: undefined }),
  true,
);

/**
 * SDK v2's `createMcpHandler` (2026-07-28 requests, and stateless serving for older ones) on
 * node:http behind a reverse proxy: the fetch-style handler never sees the socket, so the client
 * address arrives as `X-Forwarded-For`, as a proxy in front would set it.
 */
export const sdkV2: ServerKind = {
  name: "sdk v2 createMcpHandler",
  start: (spec) => {
    const handler = createMcpHandler(() => {
      const server = new McpServerV2({ name: "stateless-v2", version: "1.0.0" });
      server.registerTool(
        "echo",
        {
          inputSchema: fromJsonSchema<{ text: string }>({
            type: "object",
            properties: { text: { type: "string" } },
            required: ["text"],
          }),
        },
        async ({ text }) => echo(text),
      );
      return track(server, spec.projectId, trackOptions(spec));
    });
    return listen(async (req, res) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
      }
      headers.set("x-forwarded-for", req.socket.remoteAddress ?? "");
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      });
      const response = await handler.fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    });
  },
};

/** A real MCP client: one run = connect, list tools, call `echo` twice, close. */
export interface ClientKind {
  name: string;
  /** The name the client announces at initialize (or in `_meta`). */
  announces: string;
  run(url: string, headers: Record<string, string>): Promise<void>;
}

interface TsClient {
  connect(transport: unknown): Promise<void>;
  listTools(): Promise<unknown>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

type Constructor<T> = new (...args: never[]) => T;

/** A TypeScript SDK client kind: one run is connect, list tools, two `echo` calls, close. */
function tsClient(
  name: string,
  announces: string,
  Client: Constructor<unknown>,
  Transport: Constructor<unknown>,
): ClientKind {
  const NewClient = Client as unknown as new (info: { name: string; version: string }) => TsClient;
  const NewTransport = Transport as unknown as new (
    url: URL,
    options: { requestInit: RequestInit },
  ) => unknown;
  return {
    name,
    announces,
    async run(url, headers) {
      const client = new NewClient({ name: announces, version: "1.0.0" });
      await client.connect(new NewTransport(new URL(url), { requestInit: { headers } }));
      await client.listTools();
      for (const text of ["first", "second"]) {
        await client.callTool({ name: "echo", arguments: { text, context: "testing sessions" } });
      }
      await client.close();
    },
  };
}

export const tsV2Client = tsClient("typescript v2 client", "ts-v2-client", ClientV2, TransportV2);
export const ts111Client = tsClient("sdk 1.11.5 client", "ts-1-11-client", Client111, Transport111);

const PYTHON_CLIENT = fileURLToPath(new URL("./fixtures/python_client.py", import.meta.url));
const run = promisify(execFile);

export const pythonClient: ClientKind = {
  name: "python mcp client",
  // What `mcp` 2.x announces by default.
  announces: "mcp",
  async run(url, headers) {
    const python = await pythonWithMcp();
    const pairs = Object.entries(headers).map(([name, value]) => `${name}=${value}`);
    await run(python, [PYTHON_CLIENT, url, ...pairs], { timeout: 60_000 });
  },
};
