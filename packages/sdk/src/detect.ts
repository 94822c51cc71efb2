// Recognises MCP servers by shape, in one place. The MCP SDK is never imported: v1
// (`@modelcontextprotocol/sdk`) and v2 (`@modelcontextprotocol/server`) both keep request handlers
// in a `_requestHandlers` Map on the low-level `Server`, and `McpServer` wraps one as `.server`.

/** A stored request handler: v1 passes `RequestHandlerExtra`, v2 a handler context. */
export type RequestHandler = (request: unknown, extra: unknown) => unknown;

export interface ServerInfo {
  name?: unknown;
  version?: unknown;
}

/** The parts of a low-level `Server` that mcpsight uses. */
export interface LowLevelServer {
  _requestHandlers: Map<string, RequestHandler>;
  _serverInfo?: ServerInfo;
  getClientVersion?: () => ServerInfo | undefined;
  transport?: unknown;
  connect?: (transport: unknown) => unknown;
}

/** The parts of `McpServer` that mcpsight uses. */
export interface HighLevelServer {
  server: LowLevelServer;
  registerTool?: (name: string, config: Record<string, unknown>, callback: () => unknown) => unknown;
  _registeredTools?: Record<string, unknown>;
}

export type DetectedServer =
  | { kind: "McpServer"; low: LowLevelServer; high: HighLevelServer }
  | { kind: "Server"; low: LowLevelServer; high: undefined };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

function isLowLevel(value: unknown): value is LowLevelServer {
  return (
    isObject(value) &&
    value._requestHandlers instanceof Map &&
    typeof (value as { setRequestHandler?: unknown }).setRequestHandler === "function"
  );
}

/**
 * Returns what kind of MCP server `value` is, or a message saying why it is not one.
 *
 * @example
 * const detected = detectServer(new McpServer({ name: "demo", version: "1.0.0" }));
 * if (typeof detected !== "string") detected.low._requestHandlers.size;
 */
export function detectServer(value: unknown): DetectedServer | string {
  if (!isObject(value)) return `expected an MCP server object, got ${value === null ? "null" : typeof value}`;
  if (isLowLevel(value.server)) {
    return { kind: "McpServer", low: value.server, high: value as unknown as HighLevelServer };
  }
  if (isLowLevel(value)) return { kind: "Server", low: value, high: undefined };
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return (
    `the object (${typeof name === "string" ? name : "unknown type"}) is neither an McpServer nor a ` +
    "low-level Server from @modelcontextprotocol/sdk 1.11+ or @modelcontextprotocol/server 2.x " +
    "(no _requestHandlers Map with setRequestHandler)"
  );
}

/** True for transports that serve HTTP (Streamable HTTP in SDK v1 and v2). */
export function isHttpTransport(transport: unknown): boolean {
  return isObject(transport) && typeof transport.handleRequest === "function";
}
