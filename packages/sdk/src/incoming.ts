// The Node request an HTTP transport is handling. Handlers of SDK 1.11 get no request headers, and
// no SDK version passes the client's address to handlers, so mcpsight notes both where the server
// hands a Node request to its transport: `transport.handleRequest(req, res, body)`. Stateless servers
// use a transport per request, so a transport's latest request is the one its handlers serve.
import type { LowLevelServer } from "./detect.js";

export type HeaderBag = Record<string, string | string[] | undefined>;

/** What mcpsight keeps of a Node request: its headers (lower-case names) and the peer address. */
export interface IncomingRequest {
  readonly headers: HeaderBag;
  readonly address: string | undefined;
}

const latest = new WeakMap<object, IncomingRequest>();
const watched = new WeakSet<object>();

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** The request a transport is handling (or handled last), when it was a Node `IncomingMessage`. */
export function incomingOf(transport: unknown): IncomingRequest | undefined {
  return isObject(transport) ? latest.get(transport) : undefined;
}

/** Notes the Node request of every `handleRequest` call of `transport`; other transports are left alone. */
export function watchTransport(transport: unknown): void {
  if (!isObject(transport) || watched.has(transport)) return;
  const original = transport.handleRequest;
  if (typeof original !== "function") return;
  watched.add(transport);
  const handleRequest = function mcpsightHandleRequest(this: unknown, ...args: unknown[]): unknown {
    try {
      note(transport, args[0]);
    } catch {
      // An odd request object only costs the address.
    }
    return Reflect.apply(original, this, args);
  };
  Object.defineProperty(transport, "handleRequest", {
    configurable: true,
    writable: true,
    value: handleRequest,
  });
}

/** A Node request has a plain headers object (a fetch Request's has `get`) and a socket. */
function note(transport: object, req: unknown): void {
  if (!isObject(req) || !isObject(req.headers) || typeof req.headers.get === "function") return;
  const socket = req.socket as { remoteAddress?: unknown } | undefined;
  const address = typeof socket?.remoteAddress === "string" ? socket.remoteAddress : undefined;
  latest.set(transport, { headers: req.headers as HeaderBag, address });
}

/** Watches the transport `server` is connected to, and every transport it connects to later. */
export function watchConnections(server: LowLevelServer): void {
  watchTransport(server.transport);
  const connect = server.connect;
  if (typeof connect !== "function") return;
  const wrapped = function mcpsightConnect(this: unknown, ...args: unknown[]): unknown {
    try {
      watchTransport(args[0]);
    } catch {
      // The connection proceeds unwatched.
    }
    return Reflect.apply(connect, this, args);
  };
  Object.defineProperty(server, "connect", { configurable: true, writable: true, value: wrapped });
}
