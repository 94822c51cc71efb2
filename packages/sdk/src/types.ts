// Public types. Structural on purpose: the SDK never imports the MCP SDK, so these describe only
// the parts of its requests and handler extras that mcpsight reads.

/** Who is behind a session, as returned by the `identify` option. */
export interface UserIdentity {
  /** Stable id of the user in your system. Required; without a string userId the result is ignored. */
  userId: string;
  userName?: string;
  /** Extra facts about the user (plan, company…). Secret-looking keys are redacted before sending. */
  userData?: Record<string, unknown>;
}

/** The JSON-RPC request a handler received (`tools/call`: `params.name`, `params.arguments`). */
export interface McpRequest {
  method: string;
  params?: {
    name?: string;
    arguments?: Record<string, unknown>;
    _meta?: Record<string, unknown>;
    [key: string]: unknown;
  };
}

/** Authentication resolved by the MCP SDK's auth middleware (`extra.authInfo`). */
export interface McpAuthInfo {
  token: string;
  clientId?: string;
  scopes?: string[];
  expiresAt?: number;
  extra?: Record<string, unknown>;
}

/**
 * The MCP SDK's `RequestHandlerExtra` as mcpsight passes it to callbacks. On SDK v2 servers the
 * handler context is passed with these v1-style fields added, so one callback works for both.
 */
export interface McpRequestExtra {
  /** Transport session id (Streamable HTTP `Mcp-Session-Id`); absent on stdio and stateless HTTP. */
  sessionId?: string;
  authInfo?: McpAuthInfo;
  /** HTTP request headers (lower-case names), on HTTP transports. */
  requestInfo?: { headers: Record<string, string | string[] | undefined> };
  _meta?: Record<string, unknown>;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * The request as the callbacks receive it: an {@link McpRequest}, typed as loosely as MCPcat types
 * it so that callbacks written for MCPcat (`request.params.arguments.token`) compile unchanged.
 * Annotate the parameter as `McpRequest` to have its fields checked.
 */
// biome-ignore lint/suspicious/noExplicitAny: MCPcat's callbacks take `request: any`; code written for them must compile.
type CallbackRequest = any;

/** Options of `identifyCache`: memoise identify per credential for `ttlMs`. */
export interface IdentifyCacheOptions {
  /** How long a cached identity stays valid, in ms. */
  ttlMs: number;
  /**
   * Cache key for a request when the credential is not in a header or `authInfo` (e.g. an API key
   * argument). The value is hashed before use; return null/undefined to skip the cache.
   */
  key?(request: CallbackRequest, extra: McpRequestExtra): string | null | undefined;
}

/** Where the SDK writes its diagnostics; never stdout. */
export interface McpSightLogger {
  debug?(message: string): void;
  warn(message: string): void;
  error?(message: string): void;
}

/**
 * Options of {@link track}. Option names match MCPcat's, so switching the import is enough.
 * Callbacks are declared as methods so functions typed with the MCP SDK's own request types fit.
 */
export interface MCPSightOptions {
  /**
   * Resolves the user behind a request. Stateful: once per session, on the first tool call, and
   * again on the first request with a different credential (bearer token or API-key header).
   * Stateless: every request.
   */
  identify?(request: CallbackRequest, extra: McpRequestExtra): MaybePromise<UserIdentity | null | undefined>;
  /** Runs on every recorded string (arguments, responses, intent, errors) before it leaves the process. */
  redactSensitiveInformation?: RedactFunction;
  /** String tags for each event (≤50, keys ≤32 chars of `[A-Za-z0-9$_.:- ]`, one-line values ≤200 chars). */
  eventTags?(
    request: CallbackRequest,
    extra: McpRequestExtra,
  ): MaybePromise<Record<string, string> | null | undefined>;
  /** Free-form JSON properties for each event. */
  eventProperties?(
    request: CallbackRequest,
    extra: McpRequestExtra,
  ): MaybePromise<Record<string, unknown> | null | undefined>;
  /** Record MCP requests as events. Default true. */
  enableTracing?: boolean;
  /** Add a `context` argument to every tool so agents state their intent. Default true. */
  enableToolCallContext?: boolean;
  /** Description of the injected `context` argument. */
  customContextDescription?: string;
  /** Add a `get_more_tools` tool agents call to report missing capabilities. Default true. */
  enableReportMissing?: boolean;
  /** Collector URL. Default: env `MCPSIGHT_URL`, then `MCPCAT_API_URL`, then http://127.0.0.1:4747. */
  apiBaseUrl?: string;
  /** Force stateless mode. Default: detected per request (HTTP without a session id). */
  stateless?: boolean;
  /** Longest wait for `identify`, in ms. Default 5000. */
  identifyTimeoutMs?: number;
  /** Memoise identify per credential fingerprint. Off by default. */
  identifyCache?: IdentifyCacheOptions;
  /**
   * Most events held in memory while they wait for the collector (queued, in flight or awaiting a
   * retry); beyond it the oldest are dropped and counted. Default 100,000.
   */
  maxQueueSize?: number;
  /**
   * Most bytes of event JSON held in memory, counted like `maxQueueSize`; whichever bound is
   * reached first drops the oldest events. Default 32 MiB (33,554,432).
   */
  maxQueueBytes?: number;
  /** How often queued events are sent, in ms. Default 1000. */
  flushIntervalMs?: number;
  /** Write debug diagnostics (to stderr or `logger`). Default false. */
  debug?: boolean;
  /** Receives diagnostics instead of stderr. */
  logger?: McpSightLogger;
  /**
   * Also record every request as an OpenTelemetry SERVER span and the MCP duration metrics,
   * following the OpenTelemetry MCP semantic conventions. `true` uses the globally registered
   * providers; pass your own providers or `captureContent` in an object. Needs
   * `@opentelemetry/api` installed (an optional peer dependency). Default off.
   */
  otel?: boolean | McpSightOtelOptions;
  /** Accepted for MCPcat compatibility and ignored. */
  exporters?: Record<string, ExporterConfig>;
  /** Accepted for MCPcat compatibility and ignored. */
  disableDiagnostics?: boolean;
}

/** The `otel` option as an object. Providers are typed by shape, so any OpenTelemetry API version fits. */
export interface McpSightOtelOptions {
  /** Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
  /** Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: { getMeter(name: string, version?: string): unknown };
  /**
   * Record tool arguments and results (`gen_ai.tool.call.arguments` / `.result`), after the same
   * redaction as events. Default false: they may hold personal data.
   */
  captureContent?: boolean;
}

/** MCPcat's name for the options, so code written for MCPcat compiles unchanged. */
export type MCPCatOptions = MCPSightOptions;

/**
 * The `identify` option (MCPcat's name for its type).
 *
 * @example
 * const identify: IdentifyFunction = async (request) => ({ userId: request.params.arguments.userId });
 */
export type IdentifyFunction = MCPSightOptions["identify"];

/**
 * The `redactSensitiveInformation` option: gets every recorded string, returns it redacted (sync
 * or async).
 *
 * @example
 * const redact: RedactFunction = (text) => text.replaceAll(/sk-\w+/g, "[key]");
 */
export type RedactFunction = (text: string) => MaybePromise<string>;

/** One entry of MCPcat's `exporters` option. Accepted so code written for MCPcat compiles; mcpsight ignores it. */
export interface ExporterConfig {
  type: string;
  [key: string]: unknown;
}

/** MCPcat's telemetry exporter interface, for code that implements one; mcpsight never calls exporters. */
export interface Exporter {
  export(event: ExportedEvent): Promise<void>;
}

/** The event an MCPcat exporter receives (its fields as MCPcat declares them). */
export interface ExportedEvent {
  id: string;
  sessionId: string;
  projectId?: string;
  eventType: string;
  timestamp: Date;
  duration?: number;
  resourceName?: string;
  parameters?: unknown;
  response?: unknown;
  userIntent?: string;
  isError?: boolean;
  error?: { message: string; type?: string; stack?: string };
  [key: string]: unknown;
}

/** Data of a custom event sent with `publishCustomEvent`. */
export interface CustomEventData {
  resourceName?: string;
  parameters?: unknown;
  response?: unknown;
  /** Recorded as the event's intent. */
  message?: string;
  duration?: number;
  isError?: boolean;
  error?: unknown;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
}
