// Reads what mcpsight needs from a handler's second argument, whichever SDK generation produced
// it: v1 passes `RequestHandlerExtra` (`authInfo`, `requestInfo.headers`, `_meta`), v2 a context
// (`http.authInfo`, `http.req` — a fetch Request —, `mcpReq._meta`, and on 2026-07-28 requests the
// reserved `_meta` keys in `mcpReq.envelope`). What no SDK passes to handlers (headers on 1.11, the
// client's address everywhere) comes from the Node request the transport handled (incoming.ts).
import { createHash } from "node:crypto";
import type { HeaderBag, IncomingRequest } from "./incoming.js";
import type { McpAuthInfo, McpRequestExtra } from "./types.js";

interface V2Context {
  sessionId?: string;
  http?: { authInfo?: McpAuthInfo; req?: { headers?: { get(name: string): string | null } } };
  mcpReq?: { _meta?: Record<string, unknown>; envelope?: Record<string, unknown> };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** A normalised, read-only view of one request's transport context. */
export class RequestView {
  readonly sessionId: string | undefined;
  readonly authInfo: McpAuthInfo | undefined;
  /** True when the request arrived over HTTP. */
  readonly isHttp: boolean;
  private readonly headerBag: HeaderBag | undefined;
  private readonly fetchHeaders: { get(name: string): string | null } | undefined;
  private compatible: McpRequestExtra | undefined;
  // Computed once per request (identify, its cache and the stateless client memory all ask).
  private metaCache: Record<string, unknown> | null | undefined;
  private fingerprintCache: string | null | undefined;

  constructor(
    /** The handler's second argument itself. */
    readonly raw: unknown,
    /** The Node request the transport is handling, when it exposed one. */
    private readonly incoming?: IncomingRequest,
  ) {
    const extra = isObject(raw) ? raw : {};
    const v2 = extra as V2Context;
    this.sessionId = typeof extra.sessionId === "string" && extra.sessionId ? extra.sessionId : undefined;
    const requestInfo = extra.requestInfo;
    this.headerBag =
      isObject(requestInfo) && isObject(requestInfo.headers) ? (requestInfo.headers as HeaderBag) : undefined;
    const fetchHeaders = v2.http?.req?.headers;
    this.fetchHeaders = fetchHeaders && typeof fetchHeaders.get === "function" ? fetchHeaders : undefined;
    const auth = isObject(extra.authInfo) ? extra.authInfo : v2.http?.authInfo;
    this.authInfo = isObject(auth) ? (auth as unknown as McpAuthInfo) : undefined;
    this.isHttp = this.headerBag !== undefined || v2.http !== undefined || incoming !== undefined;
  }

  /** One header value (first if repeated), by lower-case name. */
  header(name: string): string | undefined {
    if (this.fetchHeaders) return this.fetchHeaders.get(name) ?? undefined;
    const value = (this.headerBag ?? this.incoming?.headers)?.[name];
    return Array.isArray(value) ? value[0] : value;
  }

  /**
   * The client's IP address: the first `X-Forwarded-For` entry without surrounding spaces and tabs
   * (set by a proxy in front), else the connection's peer address when the transport exposed it.
   * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.7`) are written as IPv4, letters in lower case.
   */
  get address(): string | undefined {
    const forwarded = this.header("x-forwarded-for")
      ?.split(",")[0]
      ?.replace(/^[ \t]+|[ \t]+$/g, "");
    const address = forwarded || this.incoming?.address;
    if (!address) return undefined;
    const lower = address.toLowerCase();
    return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/.test(lower) ? lower.slice(7) : lower;
  }

  /**
   * The request's `_meta`. On 2026-07-28 requests v2 servers move the reserved keys (protocol
   * version, client info, capabilities) to `mcpReq.envelope`; they are merged back here.
   */
  get meta(): Record<string, unknown> | undefined {
    if (this.metaCache !== undefined) return this.metaCache ?? undefined;
    const extra = this.raw as
      | { _meta?: unknown; mcpReq?: { _meta?: unknown; envelope?: unknown } }
      | undefined;
    const meta = extra?._meta ?? extra?.mcpReq?._meta;
    const envelope = extra?.mcpReq?.envelope;
    let merged: Record<string, unknown> | undefined = isObject(meta) ? meta : undefined;
    if (isObject(envelope)) merged = merged ? { ...envelope, ...merged } : envelope;
    this.metaCache = merged ?? null;
    return merged;
  }

  /** The raw credential of this request: bearer token, Authorization header or API-key header. */
  credential(): string | undefined {
    const token = this.authInfo?.token;
    if (typeof token === "string" && token) return token;
    return this.header("authorization") ?? this.header("x-api-key") ?? this.header("api-key");
  }

  /** SHA-256 of the credential, so the secret itself is never stored or compared in the clear. */
  credentialFingerprint(): string | undefined {
    if (this.fingerprintCache === undefined) {
      const credential = this.credential();
      this.fingerprintCache = credential === undefined ? null : fingerprint(credential);
    }
    return this.fingerprintCache ?? undefined;
  }

  /**
   * The extra passed to user callbacks: v1's object as is; v2's context with v1-style `authInfo`,
   * `requestInfo.headers` and `_meta` added, so one callback serves both generations.
   */
  forCallbacks(): McpRequestExtra {
    if (this.compatible) return this.compatible;
    const raw = isObject(this.raw) ? this.raw : {};
    if (!this.fetchHeaders && raw.mcpReq === undefined) {
      this.compatible = raw as McpRequestExtra;
      return this.compatible;
    }
    const headers: HeaderBag = {};
    const source = this.fetchHeaders as unknown as { forEach?: (fn: (v: string, k: string) => void) => void };
    source?.forEach?.((value, key) => {
      headers[key] = value;
    });
    this.compatible = {
      ...raw,
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
      ...(this.authInfo ? { authInfo: this.authInfo } : {}),
      ...(this.fetchHeaders ? { requestInfo: { headers } } : {}),
      ...(this.meta ? { _meta: this.meta } : {}),
    } as McpRequestExtra;
    return this.compatible;
  }
}

/** Hex SHA-256 of a secret, namespaced so it cannot be matched against plain hashes elsewhere. */
export function fingerprint(secret: string): string {
  return createHash("sha256").update("mcpsight:credential:").update(secret).digest("hex");
}
