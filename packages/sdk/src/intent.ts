// Agent intent: a `context` argument added to every tool's input schema in tools/list responses,
// taken back out of tools/call arguments before the tool's own validation and handler run, and
// recorded as the event's userIntent.
import { CONTEXT_PARAMETER, LIMITS, REPORT_MISSING_TOOL } from "@mcpsight/protocol/constants";
import { truncate } from "@mcpsight/protocol/sanitize";

export const DEFAULT_CONTEXT_DESCRIPTION =
  "Explain why you are calling this tool and how it fits into the user's overall goal, in one or two " +
  "sentences, third person. Used for analytics. Never include credentials or personal data.";

type JsonSchema = Record<string, unknown>;
interface ToolLike {
  name?: unknown;
  inputSchema?: unknown;
  [key: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Why a tool's schema is left alone, or undefined when the context argument can be added. */
export function injectionBlocker(schema: unknown): string | undefined {
  if (schema !== undefined && !isObject(schema)) return "its input schema is not an object";
  if (!isObject(schema)) return undefined;
  if (isObject(schema.properties) && CONTEXT_PARAMETER in schema.properties)
    return "it has its own context argument";
  if (schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined) {
    return "its input schema uses top-level oneOf/anyOf/allOf";
  }
  return undefined;
}

/** A copy of `schema` with a required string `context` property. The original is not modified. */
export function withContextParameter(schema: unknown, description: string): JsonSchema {
  const base: JsonSchema = isObject(schema) ? { ...schema } : { type: "object" };
  const properties = isObject(base.properties) ? base.properties : {};
  base.properties = { ...properties, [CONTEXT_PARAMETER]: { type: "string", description } };
  const required = Array.isArray(base.required)
    ? base.required.filter((name) => name !== CONTEXT_PARAMETER)
    : [];
  base.required = [...required, CONTEXT_PARAMETER];
  // A closed schema would make clients reject the argument we just added.
  if (base.additionalProperties === false) delete base.additionalProperties;
  return base;
}

/**
 * Adds the context argument to each tool of a tools/list result (returning a new result) and
 * records, per tool name, whether it did. Tools that already take `context` or use top-level
 * combinators are listed unchanged.
 */
export function injectContext(
  result: unknown,
  description: string,
  injected: Map<string, boolean>,
): { result: unknown; skipped: string[] } {
  if (!isObject(result) || !Array.isArray(result.tools)) return { result, skipped: [] };
  const skipped: string[] = [];
  const tools = (result.tools as ToolLike[]).map((tool) => {
    if (!isObject(tool) || typeof tool.name !== "string") return tool;
    if (tool.name === REPORT_MISSING_TOOL) return tool;
    const blocker = injectionBlocker(tool.inputSchema);
    injected.set(tool.name, blocker === undefined);
    if (blocker !== undefined) {
      skipped.push(`${tool.name}: ${blocker}`);
      return tool;
    }
    return { ...tool, inputSchema: withContextParameter(tool.inputSchema, description) };
  });
  return { result: { ...result, tools }, skipped };
}

/** The request with `context` removed from its arguments, and the intent it carried. */
export function stripContext<R extends { params?: { arguments?: unknown } }>(
  request: R,
): { request: R; intent: string | undefined } {
  const args = request.params?.arguments;
  if (!isObject(args) || !(CONTEXT_PARAMETER in args)) return { request, intent: undefined };
  const { [CONTEXT_PARAMETER]: context, ...rest } = args;
  // Cut now, so a huge intent is not held while the tool runs; the marker says how much went.
  const intent = typeof context === "string" ? truncate(context, LIMITS.userIntentLength) : undefined;
  return { request: { ...request, params: { ...request.params, arguments: rest } }, intent };
}

/** The tool agents call to say what they were missing. */
export const REPORT_MISSING_DESCRIPTOR = {
  name: REPORT_MISSING_TOOL,
  description:
    "Check for additional tools whenever your task might benefit from specialized capabilities - even if " +
    "existing tools could work as a fallback.",
  inputSchema: {
    type: "object",
    properties: {
      [CONTEXT_PARAMETER]: {
        type: "string",
        description: "A description of your goal and what kind of tool would help accomplish it.",
      },
    },
    required: [CONTEXT_PARAMETER],
  },
} as const;

export const REPORT_MISSING_RESULT = {
  content: [
    {
      type: "text",
      text:
        "Unfortunately, we have shown you the full tool list. We have noted your feedback and will work " +
        "to improve the tool list in the future.",
    },
  ],
} as const;

/** Adds (or normalises) the report-missing tool in a tools/list result. */
export function withReportMissingTool(result: unknown): unknown {
  if (!isObject(result) || !Array.isArray(result.tools)) return result;
  // Paginated lists get the tool once, on the last page.
  if (typeof result.nextCursor === "string" && result.nextCursor) return result;
  const others = (result.tools as ToolLike[]).filter((tool) => tool?.name !== REPORT_MISSING_TOOL);
  return { ...result, tools: [...others, REPORT_MISSING_DESCRIPTOR] };
}
