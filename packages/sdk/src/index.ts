// The public surface of the `mcpsight` package. Everything else is internal.
export { publishCustomEvent } from "./custom-event.js";
export { flush, shutdown } from "./runtime.js";
export { track } from "./track.js";
export type {
  CustomEventData,
  Exporter,
  ExporterConfig,
  IdentifyCacheOptions,
  IdentifyFunction,
  MCPCatOptions,
  MCPSightOptions,
  McpAuthInfo,
  McpRequest,
  McpRequestExtra,
  McpSightLogger,
  McpSightOtelOptions,
  RedactFunction,
  UserIdentity,
} from "./types.js";
