import type { LowLevelServer, ServerInfo } from "./detect.js";
import type { RequestView } from "./request-view.js";

/** The 2026-07-28 `_meta` key under which clients send their identity on every request. */
export const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";

export interface NameVersion {
  name?: string;
  version?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

const fromInfo = (info: ServerInfo | undefined | null): NameVersion | undefined => {
  if (!info || typeof info !== "object") return undefined;
  const name = text(info.name);
  return name ? { name, version: text(info.version) } : undefined;
};

/** `Claude-User/1.2 (x)` → name `Claude-User`, version `1.2`. */
function fromUserAgent(userAgent: string | undefined): NameVersion | undefined {
  const first = userAgent?.trim().split(/\s+/)[0];
  if (!first) return undefined;
  const slash = first.indexOf("/");
  return slash > 0 ? { name: first.slice(0, slash), version: text(first.slice(slash + 1)) } : { name: first };
}

type RequestLike = { method?: unknown; params?: Record<string, unknown> } | undefined;

/**
 * The client as the request itself names it: `initialize` params, the
 * `io.modelcontextprotocol/clientInfo` `_meta` key, then the `X-MCP-Client-Name`/`-Version` headers.
 */
export function announcedClientInfo(request: RequestLike, view: RequestView): NameVersion | undefined {
  if (request?.method === "initialize") {
    const info = fromInfo(request.params?.clientInfo as ServerInfo | undefined);
    if (info) return info;
  }
  const meta = fromInfo(view.meta?.[CLIENT_INFO_META_KEY] as ServerInfo | undefined);
  if (meta) return meta;
  const headerName = text(view.header("x-mcp-client-name"));
  return headerName ? { name: headerName, version: text(view.header("x-mcp-client-version")) } : undefined;
}

/** The client according to the User-Agent: the last resort, often only an HTTP library's name. */
export const userAgentClientInfo = (view: RequestView): NameVersion | undefined =>
  fromUserAgent(view.header("user-agent"));

/**
 * Who the client of a stateful session's request is: what the server learned at `initialize`,
 * otherwise (a request before initialize) what the request names, then the User-Agent.
 *
 * @example
 * resolveClientInfo(server, { method: "tools/call", params: {} }, view); // { name: "claude-code", version: "2.0.1" }
 */
export function resolveClientInfo(
  server: LowLevelServer | undefined,
  request: RequestLike,
  view: RequestView,
): NameVersion | undefined {
  try {
    const known = fromInfo(server?.getClientVersion?.());
    if (known) return known;
  } catch {
    // A server whose getter throws is treated as one that does not know.
  }
  return announcedClientInfo(request, view) ?? userAgentClientInfo(view);
}

/** The tracked server's own name and version. */
export function resolveServerInfo(server: LowLevelServer): NameVersion | undefined {
  return fromInfo(server._serverInfo);
}
