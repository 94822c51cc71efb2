// McpServer catches a tool callback's throw and answers with an `isError` result carrying only the
// message, so the request handler mcpsight wraps never sees the error itself. Each registered tool
// is instrumented when the tracker first routes a call to it: its callback is wrapped so that a
// throw is remembered by the handler context it was called with (the same object the tracked
// handler received), then rethrown unchanged, so McpServer answers exactly as without mcpsight.

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** Errors thrown by tool callbacks, by the handler context (v1 `extra`, v2 `ctx`) of their call. */
const thrownBy = new WeakMap<object, unknown>();
const instrumented = new WeakSet<object>();

/**
 * The property McpServer calls, by SDK generation: v2 builds an `executor` from `handler` at
 * registration (and again on `update`), v1.24+ calls `handler`, v1.11–1.23 `callback`.
 */
function calledProperty(tool: Record<string, unknown>): "executor" | "handler" | "callback" {
  if ("executor" in tool) return "executor";
  if ("handler" in tool) return "handler";
  return "callback";
}

/**
 * Wraps the callback of a registered tool (an entry of `McpServer._registeredTools`), now and
 * whenever it is replaced (`update({ callback })`). Idempotent; anything that does not look like
 * a registered tool is left alone.
 */
export function instrumentTool(tool: unknown): void {
  if (!isObject(tool) || instrumented.has(tool)) return;
  instrumented.add(tool);
  const key = calledProperty(tool);
  const descriptor = Object.getOwnPropertyDescriptor(tool, key);
  if (!descriptor || !("value" in descriptor) || !descriptor.configurable) return;
  let current = rememberingThrows(descriptor.value);
  Object.defineProperty(tool, key, {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get: () => current,
    set: (value: unknown) => {
      current = rememberingThrows(value);
    },
  });
}

/** The error a tool callback threw during the call with this handler context, if any (forgotten once read). */
export function takeThrown(extra: unknown): unknown {
  if (!isObject(extra)) return undefined;
  const error = thrownBy.get(extra);
  thrownBy.delete(extra);
  return error;
}

/**
 * The callback, wrapped to remember a throw (sync or as a rejection) by its last argument, the
 * handler context. Task handlers (objects) and other values are returned as they are.
 */
function rememberingThrows(callback: unknown): unknown {
  if (typeof callback !== "function") return callback;
  const original = callback as (...args: unknown[]) => unknown;
  return function mcpsightToolCallback(this: unknown, ...args: unknown[]): unknown {
    const extra = args[args.length - 1];
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      remember(extra, error);
      throw error;
    }
    // Registered before McpServer awaits the same promise, so the error is remembered before
    // McpServer builds its result; the promise returned to McpServer is the original one.
    if (result instanceof Promise) result.then(undefined, (error: unknown) => remember(extra, error));
    return result;
  };
}

function remember(extra: unknown, error: unknown): void {
  if (isObject(extra)) thrownBy.set(extra, error);
}
