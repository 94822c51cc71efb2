import { LIMITS } from "@mcpsight/protocol/constants";
import { DELIVERY_DEFAULTS } from "./delivery/index.js";
import type { IdentifyCacheOptions, MCPSightOptions, McpSightLogger } from "./types.js";

export const DEFAULT_API_BASE_URL = "http://127.0.0.1:4747";

/** Options after defaults and environment variables are applied. */
export interface ResolvedOptions {
  identify: MCPSightOptions["identify"];
  redact: MCPSightOptions["redactSensitiveInformation"];
  eventTags: MCPSightOptions["eventTags"];
  eventProperties: MCPSightOptions["eventProperties"];
  enableTracing: boolean;
  enableToolCallContext: boolean;
  customContextDescription: string | undefined;
  enableReportMissing: boolean;
  apiBaseUrl: string;
  /** Where apiBaseUrl came from: the option, MCPSIGHT_URL, MCPCAT_API_URL or the default. */
  apiBaseUrlFrom: string;
  stateless: boolean | undefined;
  identifyTimeoutMs: number;
  identifyCache: IdentifyCacheOptions | undefined;
  maxQueueSize: number;
  maxQueueBytes: number;
  flushIntervalMs: number;
  debug: boolean;
  logger: McpSightLogger | undefined;
  otel: MCPSightOptions["otel"];
}

const positive = (value: number | undefined, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;

/** The collector URL and where it came from (the option or a variable), spaces trimmed. */
function apiBaseUrlOf(options: MCPSightOptions): { url: string; from: string } {
  const candidates: [string | undefined, string][] = [
    [typeof options.apiBaseUrl === "string" ? options.apiBaseUrl : undefined, "apiBaseUrl"],
    [process.env.MCPSIGHT_URL, "MCPSIGHT_URL"],
    [process.env.MCPCAT_API_URL, "MCPCAT_API_URL"],
  ];
  for (const [value, from] of candidates) {
    const url = value?.trim();
    if (url) return { url: url.replace(/\/+$/, ""), from };
  }
  return { url: DEFAULT_API_BASE_URL, from: "the default" };
}

/** Whether a collector URL can be sent to: absolute, http: or https:. */
export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** The rule for a project id, as the collector applies it: what `track()` and `publishCustomEvent` check first. */
export const PROJECT_ID_RULE = `projectId must be a non-empty string of at most ${LIMITS.projectIdLength} characters`;

export function isProjectId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= LIMITS.projectIdLength;
}

/** Applies defaults. Never throws: a nonsensical value falls back to its default. */
export function resolveOptions(options: MCPSightOptions = {}): ResolvedOptions {
  const cache = options.identifyCache;
  const api = apiBaseUrlOf(options);
  return {
    identify: typeof options.identify === "function" ? options.identify.bind(options) : undefined,
    redact:
      typeof options.redactSensitiveInformation === "function"
        ? options.redactSensitiveInformation.bind(options)
        : undefined,
    eventTags: typeof options.eventTags === "function" ? options.eventTags.bind(options) : undefined,
    eventProperties:
      typeof options.eventProperties === "function" ? options.eventProperties.bind(options) : undefined,
    enableTracing: options.enableTracing ?? true,
    enableToolCallContext: options.enableToolCallContext ?? true,
    customContextDescription: options.customContextDescription,
    enableReportMissing: options.enableReportMissing ?? true,
    apiBaseUrl: api.url,
    apiBaseUrlFrom: api.from,
    stateless: options.stateless,
    identifyTimeoutMs: positive(options.identifyTimeoutMs, 5000),
    identifyCache: cache && positive(cache.ttlMs, 0) > 0 ? cache : undefined,
    maxQueueSize: Math.max(1, Math.floor(positive(options.maxQueueSize, DELIVERY_DEFAULTS.maxQueueSize))),
    maxQueueBytes: Math.max(1, Math.floor(positive(options.maxQueueBytes, DELIVERY_DEFAULTS.maxQueueBytes))),
    flushIntervalMs: positive(options.flushIntervalMs, 1000),
    debug: options.debug === true,
    logger: options.logger,
    otel: options.otel,
  };
}
