// The public surface of the `mcpsight` package. Everything else is internal.
export { publishCustomEvent } from "./custom-event.js";
export { flush, shutdown } from "./runtime.js";
export { track } from "./track.js";
export type {
  CustomEventData,
  IdentifyCacheOptions,
  MCPCatOptions,
  MCPSightOptions,
  McpAuthInfo,
  McpRequest,
  McpRequestExtra,
  McpSightLogger,
  McpSightOtelOptions,
  UserIdentity,
} from "./types.js";
