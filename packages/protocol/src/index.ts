export {
  CONTEXT_PARAMETER,
  EVENT_TYPES,
  HEADERS,
  type KnownEventType,
  LIMITS,
  MCPCAT_IDENTIFY_EVENT_TYPE,
  PATHS,
  PROTOCOL_VERSION,
  REDACTED,
  REPORT_MISSING_TOOL,
  SESSION_IDLE_TIMEOUT_MS,
} from "./constants.js";
export { fromMcpcatEvent } from "./mcpcat.js";
export {
  type Batch,
  batchSchema,
  type ErrorData,
  type Event,
  type EventInput,
  errorDataSchema,
  eventSchema,
  eventTypeSchema,
  tagsSchema,
} from "./schema.js";
export { type ValidationIssue, type ValidationResult, validateBatch, validateEvent } from "./validate.js";
