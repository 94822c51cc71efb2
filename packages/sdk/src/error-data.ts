// What an event records of an error: the protocol's `{message, type?, stack?}`, from something
// thrown, an error passed to publishCustomEvent, or a tool result with `isError: true`.
import type { ErrorData } from "@mcpsight/protocol";

/** Causes followed into the stack text; a longer chain is cut, a cycle stops at once. */
const MAX_CAUSES = 5;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * Error data for something thrown or passed as an error. `type` is the class name, followed by
 * the error's `code` the way Node prints one (`Error [ENOENT]`); for a plain object, its `type`
 * or `name` and `code` (MCPcat's documented `{message, code}` gives the code alone). `stack` ends
 * with the chain of causes, each as `Caused by: <type>: <message>` and its frames.
 *
 * @example
 * errorDataOf(new TypeError("bad", { cause: new RangeError("deep") })).stack;
 * // "TypeError: bad\n    at …\nCaused by: RangeError: deep\n    at …"
 */
export function errorDataOf(error: unknown): ErrorData {
  if (error instanceof Error) {
    const data: ErrorData = { message: error.message || String(error), type: typeOf(error) };
    const stack = stackWithCauses(error);
    if (stack !== undefined) data.stack = stack;
    return data;
  }
  if (isObject(error)) {
    const name = typeof error.type === "string" ? error.type : error.name;
    const data: ErrorData = { message: typeof error.message === "string" ? error.message : jsonOf(error) };
    const type = withCode(typeof name === "string" ? name : undefined, error.code);
    if (type) data.type = type;
    if (typeof error.stack === "string") data.stack = error.stack;
    return data;
  }
  return { message: typeof error === "string" ? error : String(error) };
}

/** Error data for a result with `isError: true`: its text content is the message. */
export function errorDataOfResult(result: Record<string, unknown>): ErrorData {
  const content = Array.isArray(result.content) ? result.content : [];
  const texts = content
    .filter((item): item is { type: string; text: string } => isObject(item) && typeof item.text === "string")
    .map((item) => item.text);
  return { message: texts.join("\n") || "Tool returned isError: true", type: "ToolResultError" };
}

/** The class name (the `name` of a plain `Error`), with the code if the error has one. */
function typeOf(error: Error): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  const name = typeof ctor === "string" && ctor !== "Error" ? ctor : error.name;
  return withCode(name, (error as { code?: unknown }).code) ?? name;
}

function withCode(type: string | undefined, code: unknown): string | undefined {
  const text =
    typeof code === "string" && code !== ""
      ? code
      : typeof code === "number" && Number.isFinite(code)
        ? String(code)
        : undefined;
  if (text === undefined) return type || undefined;
  return type ? `${type} [${text}]` : text;
}

function stackWithCauses(error: Error): string | undefined {
  let text = typeof error.stack === "string" ? error.stack : undefined;
  const seen = new Set<unknown>([error]);
  let cause = (error as { cause?: unknown }).cause;
  for (let depth = 0; depth < MAX_CAUSES && cause !== undefined && cause !== null; depth++) {
    if (seen.has(cause)) break;
    seen.add(cause);
    const line = `Caused by: ${describeCause(cause)}`;
    text = text === undefined ? line : `${text}\n${line}`;
    cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined;
  }
  return text;
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return typeof cause === "string" ? cause : jsonOf(cause);
  const header = `${typeOf(cause)}: ${cause.message}`;
  const stack = typeof cause.stack === "string" ? cause.stack : "";
  // The frames (`    at …`) without the stack's own header, which may span several lines.
  const frames = stack.search(/\n\s+at /);
  return frames < 0 ? header : `${header}${stack.slice(frames)}`;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
