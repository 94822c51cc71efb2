// OpenTelemetry out: with the `otel` option, every tracked request is also a SERVER span and a
// `mcp.server.operation.duration` measurement, and sessions a `mcp.server.session.duration` one,
// named and attributed as the OpenTelemetry MCP semantic conventions say (docs/OPENTELEMETRY.md).
// `@opentelemetry/api` is an optional peer dependency, loaded on first use: without it (or without
// the option) nothing here runs and the SDK keeps no runtime dependency. Spans use the host's own
// providers, so they join its traces; a client's `traceparent` in `params._meta` is continued.
// Like the rest of the SDK, nothing here throws into the host or keeps the process alive.
import { createRequire } from "node:module";
import type { ErrorData } from "@mcpsight/protocol";
import type * as Api from "@opentelemetry/api";
import type { SdkLogger } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { redactEvent, sanitizeEvent } from "./redact.js";
import type { TrackedCall } from "./tracked-call.js";
import type { UserIdentity } from "./types.js";
import { SDK_VERSION } from "./version.js";

type OtelApi = typeof Api;

/** The conventions' advised buckets (seconds) for both duration histograms. */
const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** Attributes of mcpsight's own, outside the conventions. */
export const INTENT_ATTRIBUTE = "mcpsight.intent";
const SESSION_IDLE_MS = 30 * 60 * 1000;
const MAX_OPEN_SESSIONS = 10_000;

let loaded: OtelApi | null | undefined;
/** `@opentelemetry/api` if the host installed it; required lazily, once. */
function loadApi(): OtelApi | null {
  if (loaded !== undefined) return loaded;
  try {
    // ESM: a require made for this file; the CJS build has no import.meta.url and its own require.
    const url: string | undefined = import.meta.url;
    const load = url ? createRequire(url) : require;
    loaded = load("@opentelemetry/api") as OtelApi;
  } catch {
    loaded = null;
  }
  return loaded;
}

type Attributes = Record<string, string | number | boolean>;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;
const str = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** One request's span, between the tracker's begin and the call's settle. */
export interface OtelSpan {
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** Runs the handler with the span as the active one, so the tool's own spans are its children. */
  run<T>(fn: () => T): T;
  /** Ends the span (once the call's identity and redacted content are known) and records metrics. */
  end(call: TrackedCall, result: unknown, error: ErrorData | undefined, thrown: unknown): void;
}

interface OpenSession {
  start: number;
  last: number;
  attributes: Attributes;
}

/** The `otel` option of one tracked server. */
export class OtelInstrument {
  private readonly tracer: Api.Tracer;
  private readonly operationDuration: Api.Histogram;
  private readonly sessionDuration: Api.Histogram;
  /** Sessions seen, least recently active first; ended after the idle timeout or on close. */
  private readonly sessions = new Map<string, OpenSession>();

  private constructor(
    private readonly api: OtelApi,
    private readonly options: ResolvedOptions,
    private readonly log: SdkLogger,
    private readonly captureContent: boolean,
    private readonly low: { transport?: unknown },
    tracerProvider: Api.TracerProvider,
    meterProvider: Api.MeterProvider,
  ) {
    this.tracer = tracerProvider.getTracer("mcpsight", SDK_VERSION);
    const meter = meterProvider.getMeter("mcpsight", SDK_VERSION);
    const histogram = (name: string, description: string) =>
      meter.createHistogram(name, {
        unit: "s",
        description,
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      });
    this.operationDuration = histogram(
      "mcp.server.operation.duration",
      "MCP request duration as observed on the server from the time it was received until the result is sent.",
    );
    this.sessionDuration = histogram(
      "mcp.server.session.duration",
      "The duration of the MCP session as observed on the MCP server.",
    );
  }

  /** The instrument for `options.otel`, or undefined when it is off or the API is not installed. */
  static create(
    options: ResolvedOptions,
    log: SdkLogger,
    low: { transport?: unknown },
  ): OtelInstrument | undefined {
    const setting = options.otel;
    if (!setting) return undefined;
    try {
      const api = loadApi();
      if (!api) {
        log.warnOnce(
          "otel:missing",
          "otel is on but @opentelemetry/api is not installed (npm install @opentelemetry/api); no spans are recorded.",
        );
        return undefined;
      }
      const given = setting === true ? {} : setting;
      const instrument = new OtelInstrument(
        api,
        options,
        log,
        given.captureContent === true,
        low,
        (given.tracerProvider as Api.TracerProvider | undefined) ?? api.trace.getTracerProvider(),
        (given.meterProvider as Api.MeterProvider | undefined) ?? api.metrics.getMeterProvider(),
      );
      instrument.watchClose(low);
      return instrument;
    } catch (error) {
      log.warnOnce("otel:setup", `could not set up OpenTelemetry (${String(error)}); no spans are recorded.`);
      return undefined;
    }
  }

  /** Starts the SERVER span of a request, or returns undefined (the request is tracked without). */
  start(call: TrackedCall, extra: unknown): OtelSpan | undefined {
    try {
      const { api } = this;
      const attributes = this.requestAttributes(call, extra);
      const target = str(attributes["gen_ai.tool.name"]) ?? str(attributes["gen_ai.prompt.name"]);
      const active = api.context.active();
      const remote = this.remoteParent(call);
      const activeSpan = api.trace.getSpanContext(active);
      // The client's context from _meta is the parent; the transport's (an HTTP span) is linked.
      const links =
        remote && activeSpan && api.trace.isSpanContextValid(activeSpan) ? [{ context: activeSpan }] : [];
      const parent = remote ?? active;
      const span = this.tracer.startSpan(
        target ? `${call.method} ${target}` : call.method,
        { kind: api.SpanKind.SERVER, attributes, startTime: call.startedAt, links },
        parent,
      );
      this.touchSession(call, attributes);
      const context = span.spanContext();
      const exported =
        api.trace.isSpanContextValid(context) && (context.traceFlags & api.TraceFlags.SAMPLED) !== 0;
      const spanContext = api.trace.setSpan(parent, span);
      return {
        traceId: exported ? context.traceId : undefined,
        spanId: exported ? context.spanId : undefined,
        run: (fn) => api.context.with(spanContext, fn),
        end: (ended, result, error, thrown) => this.end(span, attributes, ended, result, error, thrown),
      };
    } catch (error) {
      this.log.warnOnce("otel:start", `could not start a span (${String(error)}).`);
      return undefined;
    }
  }

  private requestAttributes(call: TrackedCall, extra: unknown): Attributes {
    const params = call.forwarded.params;
    const attributes: Attributes = { "mcp.method.name": call.method };
    const raw = isObject(extra) ? extra : {};
    const mcpReq = isObject(raw.mcpReq) ? raw.mcpReq : {};
    const requestId = raw.requestId ?? mcpReq.id;
    if (typeof requestId === "string" || typeof requestId === "number")
      attributes["jsonrpc.request.id"] = String(requestId);
    const view = call.view;
    const sessionId = view.sessionId ?? call.state?.id;
    if (sessionId) attributes["mcp.session.id"] = sessionId;
    const protocol =
      view.header("mcp-protocol-version") ??
      (call.state ? this.sessions.get(call.state.id)?.attributes["mcp.protocol.version"] : undefined) ??
      (call.method === "initialize" ? params?.protocolVersion : undefined);
    if (typeof protocol === "string") attributes["mcp.protocol.version"] = protocol;
    const name = str(params?.name);
    if (call.method === "tools/call") {
      attributes["gen_ai.operation.name"] = "execute_tool";
      if (name) attributes["gen_ai.tool.name"] = name;
    } else if (call.method === "prompts/get" && name) {
      attributes["gen_ai.prompt.name"] = name;
    }
    const uri = str(params?.uri);
    if (uri && call.method.startsWith("resources/")) attributes["mcp.resource.uri"] = uri;
    if (view.isHttp) {
      attributes["network.transport"] = "tcp";
      attributes["network.protocol.name"] = "http";
      const forwarded = view.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) attributes["client.address"] = forwarded;
    } else if (isStdio(this.low.transport)) {
      attributes["network.transport"] = "pipe";
    }
    return attributes;
  }

  /** The client's span context from `params._meta` (`traceparent`/`tracestate`), if it sent one. */
  private remoteParent(call: TrackedCall): Api.Context | undefined {
    const meta = call.request.params?._meta ?? call.view.meta;
    if (!isObject(meta) || typeof meta.traceparent !== "string") return undefined;
    const { api } = this;
    const getter = {
      keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
      get: (carrier: Record<string, unknown>, key: string) => {
        const value = carrier[key];
        return typeof value === "string" ? value : undefined;
      },
    };
    let extracted = api.propagation.extract(api.ROOT_CONTEXT, meta, getter);
    if (!api.trace.getSpanContext(extracted)) {
      // No W3C propagator registered globally (a provider passed in the option): parse it here.
      const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(meta.traceparent.trim());
      if (!match) return undefined;
      extracted = api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId: match[1] as string,
        spanId: match[2] as string,
        traceFlags: Number.parseInt(match[3] as string, 16),
        isRemote: true,
      });
    }
    const context = api.trace.getSpanContext(extracted);
    return context && api.trace.isSpanContextValid(context) ? extracted : undefined;
  }

  private end(
    span: Api.Span,
    attributes: Attributes,
    call: TrackedCall,
    result: unknown,
    error: ErrorData | undefined,
    thrown: unknown,
  ): void {
    try {
      const endTime = call.startedAt + call.duration;
      const outcome: Attributes = {};
      const code = isObject(thrown) && typeof thrown.code === "number" ? String(thrown.code) : undefined;
      if (error) {
        outcome["error.type"] = code ?? error.type ?? "_OTHER";
        if (code) outcome["rpc.response.status_code"] = code;
      } else if (isObject(result) && result.isError === true) {
        outcome["error.type"] = "tool_error";
      }
      if (call.method === "initialize" && isObject(result) && typeof result.protocolVersion === "string") {
        outcome["mcp.protocol.version"] = result.protocolVersion;
        const session = call.state && this.sessions.get(call.state.id);
        if (session) session.attributes["mcp.protocol.version"] = result.protocolVersion;
      }
      span.setAttributes(outcome);
      this.operationDuration.record(call.duration / 1000, metricAttributes({ ...attributes, ...outcome }));
      // Identity and redaction may take a moment: the span ends then, with its real end time.
      this.finish(span, call, result, error, endTime).catch((problem: unknown) => {
        this.log.warnOnce("otel:end", `could not complete a span (${String(problem)}).`);
        span.end(endTime);
      });
    } catch (problem) {
      this.log.warnOnce("otel:end", `could not end a span (${String(problem)}).`);
    }
  }

  private async finish(
    span: Api.Span,
    call: TrackedCall,
    result: unknown,
    error: ErrorData | undefined,
    endTime: number,
  ): Promise<void> {
    const identity = await Promise.resolve(call.identity).catch(() => undefined);
    const userId = (identity as UserIdentity | undefined)?.userId;
    if (typeof userId === "string" && userId) span.setAttribute("enduser.id", userId);
    const content = call.method === "tools/call" && this.captureContent;
    const toolError = !error && isObject(result) && result.isError === true;
    if (call.intent === undefined && !error && !content) {
      if (toolError) span.setStatus({ code: this.api.SpanStatusCode.ERROR });
      span.end(endTime);
      return;
    }
    // The same privacy pass as the event: secrets scrubbed, then the host's redaction function.
    const draft = {
      id: "otel",
      projectId: "otel",
      eventType: "mcp:otel",
      timestamp: new Date(call.startedAt).toISOString(),
      ...(call.intent === undefined ? {} : { userIntent: call.intent }),
      ...(error ? { error } : {}),
      ...(content ? { parameters: call.forwarded.params?.arguments ?? {}, response: result } : {}),
    };
    try {
      const safe = this.options.redact
        ? (await redactEvent(draft, this.options.redact)).event
        : sanitizeEvent(draft).event;
      if (safe.userIntent !== undefined) span.setAttribute(INTENT_ATTRIBUTE, safe.userIntent);
      if (content) {
        span.setAttribute("gen_ai.tool.call.arguments", JSON.stringify(safe.parameters));
        if (!error && !toolError && safe.response !== undefined)
          span.setAttribute("gen_ai.tool.call.result", JSON.stringify(safe.response));
      }
      if (safe.error) span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: safe.error.message });
    } catch {
      // The host's redaction failed: nothing recorded may leave unredacted, so no text at all.
      if (error) span.setStatus({ code: this.api.SpanStatusCode.ERROR });
    }
    if (toolError) span.setStatus({ code: this.api.SpanStatusCode.ERROR });
    span.end(endTime);
  }

  private touchSession(call: TrackedCall, attributes: Attributes): void {
    const now = call.startedAt;
    // Sessions idle past the timeout have ended (the next request of the same connection starts a new one).
    for (const [id, session] of this.sessions) {
      if (now - session.last <= SESSION_IDLE_MS && this.sessions.size < MAX_OPEN_SESSIONS) break;
      this.endSession(id, session);
    }
    const state = call.state;
    if (!state) return;
    const session = this.sessions.get(state.id) ?? { start: now, last: now, attributes: {} };
    this.sessions.delete(state.id);
    session.last = now;
    for (const key of ["mcp.protocol.version", "network.transport", "network.protocol.name"]) {
      const value = attributes[key];
      if (value !== undefined) session.attributes[key] = value;
    }
    this.sessions.set(state.id, session);
  }

  private endSession(id: string, session: OpenSession): void {
    this.sessions.delete(id);
    this.sessionDuration.record(Math.max(0, session.last - session.start) / 1000, session.attributes);
  }

  /** Ends every open session when the server's connection closes (keeping the host's onclose). */
  private watchClose(low: object): void {
    try {
      this.chainOnClose(low as { onclose?: () => void });
    } catch (error) {
      // A server whose onclose cannot be redefined: sessions then end by the idle timeout only.
      this.log.debug(`otel: could not watch the server's close (${String(error)}).`);
    }
  }

  private chainOnClose(target: { onclose?: () => void }): void {
    let hostHandler = target.onclose;
    const onClose = () => {
      try {
        const now = Date.now();
        for (const [id, session] of this.sessions) {
          session.last = Math.max(session.last, Math.min(now, session.last + SESSION_IDLE_MS));
          this.endSession(id, session);
        }
      } catch {}
      hostHandler?.call(target);
    };
    Object.defineProperty(target, "onclose", {
      configurable: true,
      enumerable: true,
      get: () => onClose,
      set: (value: (() => void) | undefined) => {
        hostHandler = value;
      },
    });
  }
}

/** The operation metric's attributes: the conventions' low-cardinality ones, no ids or URIs. */
function metricAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of [
    "mcp.method.name",
    "error.type",
    "gen_ai.tool.name",
    "gen_ai.prompt.name",
    "gen_ai.operation.name",
    "rpc.response.status_code",
    "mcp.protocol.version",
    "network.transport",
    "network.protocol.name",
  ]) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A stdio connection (the server's transport reads its stdin): `network.transport` is `pipe`. */
function isStdio(transport: unknown): boolean {
  return isObject(transport) && isObject(transport._stdin) && isObject(transport._stdout);
}
