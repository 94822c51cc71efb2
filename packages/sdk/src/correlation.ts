// Stable signals of a stateless request, and the correlation id built from them, so that one
// client's run against a stateless server (no session id) groups into one session. The recipe is
// part of the protocol (docs/PROTOCOL.md#stateless-sessions): every SDK computes the same id from the
// same request, checked by packages/protocol/vectors/correlation.json.
import { createHash } from "node:crypto";
import { CLIENT_INFO_META_KEY } from "./client-info.js";
import type { RequestView } from "./request-view.js";

/** The 2026-07-28 `_meta` key carrying the request's protocol version. */
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";
/**
 * The first revision whose clients must send `MCP-Protocol-Version` after initialize. Older
 * versions count as no version: their clients may leave the header out, and the initialize that
 * negotiated them would otherwise differ from the requests that followed.
 */
export const FIRST_HEADER_REVISION = "2025-06-18";
const DIGEST_PREFIX = "mcpsight:correlation:1";
export const CORRELATION_ID_PREFIX = "cor_";

/** What identifies one client's run across stateless requests; `""` where a signal is absent. */
export interface CorrelationSignals {
  /** `_meta["io.modelcontextprotocol/clientInfo"].name` and `.version` (2026-07-28 requests). */
  clientName: string;
  clientVersion: string;
  /** `MCP-Protocol-Version` header, `_meta` protocol version, or an initialize result's version. */
  protocolVersion: string;
  /** First `X-Forwarded-For` entry, else the connection's peer address. */
  address: string;
  userAgent: string;
}

// Values are used as received (HTTP servers already strip header whitespace); trimming would
// differ between languages.
const text = (value: unknown): string => (typeof value === "string" ? value : "");

function protocolVersionOf(method: string, view: RequestView, result: unknown): string {
  let version = text(view.header("mcp-protocol-version")) || text(view.meta?.[PROTOCOL_VERSION_META_KEY]);
  // initialize carries no header; the version it negotiates is the one later requests send.
  if (!version && method === "initialize") {
    version = text((result as { protocolVersion?: unknown } | undefined)?.protocolVersion);
  }
  return version < FIRST_HEADER_REVISION ? "" : version;
}

/**
 * The signals of one request. `result` is the request's result (read for initialize only).
 *
 * @example
 * correlationSignals("tools/call", view, undefined); // { clientName: "", …, userAgent: "python-httpx2/2.16.2" }
 */
export function correlationSignals(method: string, view: RequestView, result: unknown): CorrelationSignals {
  const info = view.meta?.[CLIENT_INFO_META_KEY] as { name?: unknown; version?: unknown } | undefined;
  const clientName = typeof info === "object" && info !== null ? text(info.name) : "";
  return {
    clientName,
    clientVersion: clientName && typeof info === "object" && info !== null ? text(info.version) : "",
    protocolVersion: protocolVersionOf(method, view, result),
    address: view.address ?? "",
    userAgent: text(view.header("user-agent")),
  };
}

/**
 * Hex SHA-256 (first 32 digits) of the signals within a project, or undefined when every signal is
 * absent. Fields are joined with U+0000 and hashed as UTF-8.
 */
export function signalsDigest(projectId: string, signals: CorrelationSignals): string | undefined {
  const { clientName, clientVersion, protocolVersion, address, userAgent } = signals;
  if (!clientName && !protocolVersion && !address && !userAgent) return undefined;
  return createHash("sha256")
    .update(
      [DIGEST_PREFIX, projectId, clientName, clientVersion, protocolVersion, address, userAgent].join("\0"),
    )
    .digest("hex")
    .slice(0, 32);
}

/**
 * The `correlationId` of an anonymous stateless event: `cor_` + the signals' digest. Only sent
 * when the client's address is known; without it the other signals tell kinds of clients apart,
 * not clients, and every user of one client version would share one session.
 */
export function correlationIdOf(projectId: string, signals: CorrelationSignals): string | undefined {
  if (!signals.address) return undefined;
  const digest = signalsDigest(projectId, signals);
  return digest === undefined ? undefined : `${CORRELATION_ID_PREFIX}${digest}`;
}
