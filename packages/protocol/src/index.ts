export {
  CONTEXT_PARAMETER,
  EVENT_TYPES,
  HEADERS,
  type KnownEventType,
  LIMITS,
  MAX_CLOCK_AHEAD_MS,
  MCPCAT_CUSTOM_EVENT_TYPE,
  MCPCAT_IDENTIFY_EVENT_TYPE,
  PATHS,
  PROTOCOL_VERSION,
  REDACTED,
  REJECTION_CODES,
  REPORT_MISSING_TOOL,
  type RejectionCode,
  SESSION_IDLE_TIMEOUT_MS,
} from "./constants.js";
export { fromMcpcatEvent } from "./mcpcat.js";
export {
  type Batch,
  type BatchResponse,
  batchResponseSchema,
  batchSchema,
  type ErrorData,
  type Event,
  type EventInput,
  errorDataSchema,
  eventSchema,
  eventTypeSchema,
  type Rejection,
  rejectionSchema,
  tagsSchema,
} from "./schema.js";
export { truncateText } from "./text.js";
export { isCanonicalTimestamp, parseTimestamp, TIMESTAMP_SHAPE } from "./timestamp.js";
export {
  type IndexedEvent,
  type ValidatedBatch,
  type ValidationIssue,
  type ValidationResult,
  validateBatch,
  validateEvent,
} from "./validate.js";
