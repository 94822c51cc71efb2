/**
 * Wire constants shared by every mcpsight SDK and the collector. This module has no runtime
 * dependencies so that SDKs can import it without pulling in zod.
 */

/** Protocol version sent in the `X-MCPSight-Protocol` header of every batch. */
export const PROTOCOL_VERSION = "1";

/** Paths on the collector, relative to its base URL. */
export const PATHS = {
  batch: "/v1/batch",
  mcpcatEvent: "/v1/public/events/",
  /** OTLP/HTTP traces (the OpenTelemetry exporters' default path under their endpoint). */
  otlpTraces: "/v1/traces",
} as const;

export const HEADERS = {
  protocol: "x-mcpsight-protocol",
  sdk: "x-mcpsight-sdk",
  /** The one project every event of the batch belongs to; an unknown one is refused before the body is read. */
  project: "x-mcpsight-project",
} as const;

/**
 * Why the collector refused one event of a batch it otherwise took (`rejected[].code` in the
 * response): `invalid_event` (schema, or an id repeated in the batch), `unknown_project`,
 * `project_mismatch` (not the `X-MCPSight-Project` of the batch), `too_old` (older than the
 * collector's retention), `not_stored` (the one event the database would not store). None is
 * worth retrying.
 */
export const REJECTION_CODES = [
  "invalid_event",
  "unknown_project",
  "project_mismatch",
  "too_old",
  "not_stored",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/**
 * An event timestamped more than this ahead of the collector's clock is stored at the time the
 * collector received it (and marked, see PROTOCOL.md), so a client with a wrong clock cannot
 * place sessions in the future.
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/** Event types recorded for MCP requests (`mcp:<method>`) and for mcpsight's own events. */
export const EVENT_TYPES = {
  initialize: "mcp:initialize",
  ping: "mcp:ping",
  toolsCall: "mcp:tools/call",
  toolsList: "mcp:tools/list",
  resourcesList: "mcp:resources/list",
  resourcesTemplatesList: "mcp:resources/templates/list",
  resourcesRead: "mcp:resources/read",
  resourcesSubscribe: "mcp:resources/subscribe",
  resourcesUnsubscribe: "mcp:resources/unsubscribe",
  promptsList: "mcp:prompts/list",
  promptsGet: "mcp:prompts/get",
  completionComplete: "mcp:completion/complete",
  loggingSetLevel: "mcp:logging/setLevel",
  identify: "mcpsight:identify",
  custom: "mcpsight:custom",
} as const;

export type KnownEventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** Event type used by the MCPcat SDK for identification; the collector maps it to `mcpsight:identify`. */
export const MCPCAT_IDENTIFY_EVENT_TYPE = "mcpcat:identify";

/** Event type of the MCPcat SDK's `publishCustomEvent`; the collector maps it to `mcpsight:custom`. */
export const MCPCAT_CUSTOM_EVENT_TYPE = "mcpcat:custom";

/** Name of the tool that agents call to report missing capabilities. */
export const REPORT_MISSING_TOOL = "get_more_tools";

/** Name of the parameter injected into tool input schemas to capture the agent's intent. */
export const CONTEXT_PARAMETER = "context";

/** Placeholder for a value removed because its key looks like a secret. */
export const REDACTED = "[REDACTED]";

/**
 * Size limits. SDKs truncate to these before sending; the collector rejects events that exceed
 * them. Strings are measured in UTF-16 code units (JavaScript string length).
 */
export const LIMITS = {
  idLength: 128,
  projectIdLength: 128,
  sessionIdLength: 256,
  eventTypeLength: 64,
  nameLength: 512,
  userIntentLength: 4096,
  errorMessageLength: 4096,
  errorStackLength: 16_384,
  /** Longest string value inside parameters/response/userData/properties after SDK truncation. */
  valueStringLength: 32_768,
  /** Largest serialized size of one event, in bytes of JSON. */
  eventBytes: 262_144,
  /** Deepest nesting of arrays and objects inside parameters/response/userData/properties. */
  jsonDepth: 64,
  /** Most events in one batch. */
  batchEvents: 1000,
  /** Largest decompressed batch body, in bytes. */
  batchBytes: 16 * 1024 * 1024,
  tagCount: 50,
  tagKeyLength: 32,
  tagValueLength: 200,
} as const;

/** A session ends after this much inactivity; the next request starts a new one. */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
