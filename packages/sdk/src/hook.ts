import type { LowLevelServer, RequestHandler } from "./detect.js";

/** Wraps one stored handler; must return the handler to store. */
export type HandlerWrapper = (method: string, handler: RequestHandler) => RequestHandler;

const wrappers = new WeakSet<RequestHandler>();

/**
 * Routes every request handler of `server`, present and future, through `wrap`. Both SDK
 * generations store handlers with `_requestHandlers.set(method, fn)` (from `setRequestHandler`, and
 * from `McpServer` when the first tool, resource or prompt is registered), so intercepting `set` on
 * that one Map covers tools registered before and after `track()` alike.
 */
export function interceptHandlers(server: LowLevelServer, wrap: HandlerWrapper): void {
  const map = server._requestHandlers;
  const originalSet = map.set.bind(map);
  const store = (method: string, handler: RequestHandler): Map<string, RequestHandler> => {
    if (wrappers.has(handler)) return originalSet(method, handler);
    const wrapped = wrap(method, handler);
    wrappers.add(wrapped);
    return originalSet(method, wrapped);
  };
  for (const [method, handler] of [...map]) store(method, handler);
  Object.defineProperty(map, "set", { configurable: true, writable: true, value: store });
}
