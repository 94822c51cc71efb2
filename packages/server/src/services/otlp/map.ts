import { createHash } from "node:crypto";
import { type EventInput, LIMITS } from "@mcpsight/protocol";
import { sanitize } from "@mcpsight/protocol/sanitize";
import type { Attributes, AttributeValue, OtlpResourceSpans, OtlpSpan } from "./decode.js";

/**
 * MCP server spans (OpenTelemetry MCP semantic conventions, docs/gen-ai/mcp.md) become protocol
 * events; the mapping table is in docs/OPENTELEMETRY.md. Everything else is ignored and counted.
 */

const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;

/** Resource attributes that stay the same for one running server: they group its stateless calls. */
const STABLE_RESOURCE_KEYS = [
  "service.namespace",
  "service.name",
  "service.instance.id",
  "host.id",
  "host.name",
  "process.pid",
  "container.id",
  "k8s.pod.uid",
];

export interface MappedSpans {
  events: EventInput[];
  /** Spans that are not MCP server requests (client spans, HTTP spans, notifications, pings…). */
  ignored: number;
  /** MCP server spans that cannot become an event (no valid trace/span id, an unusable method). */
  invalid: number;
}

const text = (value: AttributeValue | undefined): string | undefined =>
  typeof value === "string" && value !== "" ? value : typeof value === "number" ? String(value) : undefined;

const cut = (value: string | undefined, max: number): string | undefined =>
  value === undefined ? undefined : value.length > max ? value.slice(0, max) : value;

const sha256 = (...parts: string[]): string => {
  const hash = createHash("sha256");
  parts.forEach((part, i) => {
    if (i > 0) hash.update("\0");
    hash.update(part);
  });
  return hash.digest("hex").slice(0, 32);
};

/** A JSON payload recorded as a string (the conventions allow either) is parsed back. */
/**
 * Arguments or a result as a span carries them (JSON text, usually), through the same privacy pass
 * the SDKs apply before sending: a sender that is not an mcpsight SDK may not have scrubbed them.
 */
function payload(value: AttributeValue | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return sanitize(value);
  try {
    return sanitize(JSON.parse(value));
  } catch {
    return sanitize(value);
  }
}

/** The text of a result's `content` items, as the SDK records a tool's error result. */
function contentText(response: unknown): string | undefined {
  if (typeof response !== "object" || response === null) return undefined;
  const content = (response as { content?: unknown }).content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .map((item) =>
      typeof item === "object" && item !== null ? (item as { text?: unknown }).text : undefined,
    )
    .filter((t): t is string => typeof t === "string");
  return texts.length > 0 ? texts.join("\n") : undefined;
}

/** `{method} {target}` (or a prefix before it, e.g. "MCP handle tools/call add"): the target. */
function targetFromName(name: string, method: string): string | undefined {
  const at = name.indexOf(`${method} `);
  return at < 0 ? undefined : name.slice(at + method.length + 1).trim() || undefined;
}

function errorOf(span: OtlpSpan, response: unknown): EventInput["error"] {
  const errorType = text(span.attributes.get("error.type"));
  const exception = span.events.find((e) => e.name === "exception")?.attributes;
  const failed = span.status.code === STATUS_ERROR || errorType !== undefined || exception !== undefined;
  if (!failed) return undefined;
  const message =
    span.status.message ||
    text(exception?.get("exception.message")) ||
    (errorType === "tool_error"
      ? (contentText(response) ?? "The tool returned an error result (isError)")
      : undefined) ||
    errorType ||
    "error";
  return {
    message: cut(message, LIMITS.errorMessageLength) as string,
    type: cut(text(exception?.get("exception.type")) ?? errorType, LIMITS.nameLength),
    stack: cut(text(exception?.get("exception.stacktrace")), LIMITS.errorStackLength),
  };
}

function stableCorrelation(resource: Attributes, span: OtlpSpan): string {
  const signals = STABLE_RESOURCE_KEYS.map((key) => [key, text(resource.get(key)) ?? ""]);
  signals.push(["client.address", text(span.attributes.get("client.address")) ?? ""]);
  return `otel_${sha256(JSON.stringify(signals))}`;
}

function spanToEvent(projectId: string, resource: Attributes, span: OtlpSpan, method: string): EventInput {
  const a = span.attributes;
  const target =
    method === "tools/call"
      ? (text(a.get("gen_ai.tool.name")) ?? targetFromName(span.name, method))
      : method === "prompts/get"
        ? (text(a.get("gen_ai.prompt.name")) ?? targetFromName(span.name, method))
        : text(a.get("mcp.resource.uri"));
  const args = payload(a.get("gen_ai.tool.call.arguments"));
  const response = payload(a.get("gen_ai.tool.call.result"));
  const parameters =
    method === "tools/call"
      ? { name: target, ...(args === undefined ? {} : { arguments: args }) }
      : method === "prompts/get"
        ? { name: target }
        : target !== undefined
          ? { uri: target }
          : undefined;
  const error = errorOf(span, response);
  const mcpSessionId = text(a.get("mcp.session.id"));
  const userId = cut(text(a.get("enduser.id")) ?? text(a.get("user.id")), LIMITS.nameLength);
  const startMs = Number(span.startNs / 1_000_000n);
  const durationNs = span.endNs > span.startNs ? span.endNs - span.startNs : 0n;
  const sdkLanguage = text(resource.get("telemetry.sdk.language"));
  const sdkVersion = text(resource.get("telemetry.sdk.version"));

  const event: EventInput = {
    // Deterministic, so a span exported twice is stored once.
    id: `otel_${span.traceId}${span.spanId}`,
    projectId,
    eventType: `mcp:${method}`,
    timestamp: new Date(startMs).toISOString(),
    duration: Number(durationNs) / 1e6,
    resourceName: cut(target, LIMITS.nameLength),
    parameters,
    response,
    isError: error !== undefined,
    error,
    userIntent: cut(text(a.get("mcpsight.intent")), LIMITS.userIntentLength),
    identifyActorGivenId: userId,
    identifyActorName:
      userId === undefined
        ? undefined
        : cut(text(a.get("user.full_name")) ?? text(a.get("user.name")), LIMITS.nameLength),
    clientName: cut(text(a.get("mcp.client.name")), LIMITS.nameLength),
    clientVersion: cut(text(a.get("mcp.client.version")), LIMITS.nameLength),
    serverName: cut(text(resource.get("service.name")), LIMITS.nameLength),
    serverVersion: cut(text(resource.get("service.version")), LIMITS.nameLength),
    sdkLanguage: "otlp",
    sdkVersion: sdkLanguage ? cut(`${sdkLanguage}/${sdkVersion ?? ""}`, LIMITS.nameLength) : undefined,
    traceId: span.traceId ?? undefined,
    spanId: span.spanId ?? undefined,
  };
  if (mcpSessionId !== undefined) {
    // The SDKs' derivation from a transport session id (PROTOCOL.md), so both name a session alike
    // and the raw id, which may grant access to the session, is never stored.
    event.sessionId = `ses_${sha256(projectId, mcpSessionId)}`;
  } else {
    event.stateless = true;
    event.correlationId = stableCorrelation(resource, span);
  }
  return limitSize(event);
}

/** The protocol's 256 KiB per event: the response goes first, then the arguments (as in the SDK). */
function limitSize(event: EventInput): EventInput {
  const size = () => Buffer.byteLength(JSON.stringify(event));
  if (size() > LIMITS.eventBytes) event.response = { omitted: "larger than the event size limit" };
  if (size() > LIMITS.eventBytes) event.parameters = { omitted: "larger than the event size limit" };
  return event;
}

const EVENT_METHOD = /^[A-Za-z0-9_./-]+$/;

/** Maps every MCP server span of an export request to an event of `projectId`. */
export function spansToEvents(projectId: string, resources: OtlpResourceSpans[]): MappedSpans {
  const result: MappedSpans = { events: [], ignored: 0, invalid: 0 };
  for (const { resource, spans } of resources) {
    for (const span of spans) {
      const method = text(span.attributes.get("mcp.method.name"));
      // Pings and notifications are not requests an SDK records either.
      if (
        span.kind !== SPAN_KIND_SERVER ||
        method === undefined ||
        method === "ping" ||
        method.startsWith("notifications/")
      ) {
        result.ignored++;
      } else if (
        span.traceId === null ||
        span.spanId === null ||
        !EVENT_METHOD.test(method) ||
        method.length > LIMITS.eventTypeLength - 4
      ) {
        result.invalid++;
      } else {
        result.events.push(spanToEvent(projectId, resource, span, method));
      }
    }
  }
  return result;
}
