// zod 4 (shipped inside zod 3.25 as "zod/v4"): the same schemas parse about twice as fast.
import { z } from "zod/v4";
import { LIMITS, REJECTION_CODES } from "./constants.js";
import { parseTimestamp, TIMESTAMP_SHAPE } from "./timestamp.js";

/** @internal The patterns of the event's strings (also read by the event fast path, valid-event.ts). */
export const PATTERNS = {
  eventType: /^(mcp|mcpsight|mcpcat):[A-Za-z0-9_./-]+$/,
  tagKey: /^[A-Za-z0-9$_.:\- ]+$/,
  tagValue: /^[^\r\n]*$/,
  traceId: /^[0-9a-f]{32}$/,
  spanId: /^[0-9a-f]{16}$/,
} as const;

const boundedString = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const nonEmpty = (max: number) => boundedString(max).min(1, "must not be empty");

/** `mcp:<method>`, `mcpsight:<name>` or `mcpcat:<name>`. */
export const eventTypeSchema = nonEmpty(LIMITS.eventTypeLength).regex(
  PATTERNS.eventType,
  'must look like "mcp:tools/call" or "mcpsight:identify"',
);

export const errorDataSchema = z.object({
  message: boundedString(LIMITS.errorMessageLength),
  type: boundedString(LIMITS.nameLength).optional(),
  stack: boundedString(LIMITS.errorStackLength).optional(),
});

/** @internal One tag's key and value rules (the MCPcat conversion drops tags that break them, as MCPcat does). */
export const tagKey = z
  .string()
  .min(1)
  .max(LIMITS.tagKeyLength)
  .regex(PATTERNS.tagKey, "tag keys may use letters, digits, spaces and $_.:-");
/** @internal */
export const tagValue = boundedString(LIMITS.tagValueLength).regex(
  PATTERNS.tagValue,
  "tag values must be one line",
);

export const tagsSchema = z
  .record(tagKey, tagValue)
  .refine((tags) => Object.keys(tags).length <= LIMITS.tagCount, `at most ${LIMITS.tagCount} tags`);

const jsonObject = z.record(z.string(), z.unknown());

/**
 * An ISO 8601 date-time with `Z` or an offset, checked by parsing (`parseTimestamp`): the pattern
 * gives its shape (and is what a JSON Schema export shows), the parse checks the calendar date and
 * the ranges of the time and the offset.
 */
const timestampSchema = z
  .string()
  .regex(TIMESTAMP_SHAPE, {
    message: "must be an ISO 8601 date-time with Z or an offset, e.g. 2026-12-03T10:00:00.123Z",
    abort: true,
  })
  .refine(
    (text) => parseTimestamp(text) !== null,
    "must be a real date and time: month 01–12, a day the month has, hours 00–23, minutes and seconds 00–59, offset hours 00–23 and minutes 00–59",
  );

/**
 * One analytics event. Field names follow the MCPcat event so the two formats stay convertible.
 * Unknown fields are stripped, so newer SDKs can add fields without breaking older collectors.
 */
export const eventSchema = z
  .object({
    /** Client-generated unique id; a retried batch reuses it, so the collector can deduplicate. */
    id: nonEmpty(LIMITS.idLength),
    projectId: nonEmpty(LIMITS.projectIdLength),
    /** Absent for stateless requests, which the collector groups into sessions itself. */
    sessionId: nonEmpty(LIMITS.sessionIdLength).optional(),
    eventType: eventTypeSchema,
    /** ISO 8601 with offset, e.g. `2026-11-27T10:00:00.000Z`. */
    timestamp: timestampSchema,
    /** Milliseconds the request took. */
    duration: z.number().nonnegative().optional(),
    /** Tool name, resource URI or prompt name. */
    resourceName: boundedString(LIMITS.nameLength).optional(),
    parameters: z.unknown().optional(),
    response: z.unknown().optional(),
    /** What the agent said it was trying to do (the injected `context` argument). */
    userIntent: boundedString(LIMITS.userIntentLength).optional(),
    isError: z.boolean().optional(),
    error: errorDataSchema.optional(),
    identifyActorGivenId: nonEmpty(LIMITS.nameLength).optional(),
    identifyActorName: boundedString(LIMITS.nameLength).optional(),
    identifyActorData: jsonObject.optional(),
    clientName: boundedString(LIMITS.nameLength).optional(),
    clientVersion: boundedString(LIMITS.nameLength).optional(),
    serverName: boundedString(LIMITS.nameLength).optional(),
    serverVersion: boundedString(LIMITS.nameLength).optional(),
    sdkLanguage: boundedString(LIMITS.nameLength).optional(),
    sdkVersion: boundedString(LIMITS.nameLength).optional(),
    tags: tagsSchema.optional(),
    properties: jsonObject.optional(),
    /** True when the request came from a stateless server (no transport session). */
    stateless: z.boolean().optional(),
    /** Optional grouping hint for anonymous stateless events (e.g. a client-supplied trace id). */
    correlationId: nonEmpty(LIMITS.sessionIdLength).optional(),
    /** W3C trace id of the request (32 lowercase hex digits), so a call can be found in a tracing tool. */
    traceId: z
      .string()
      .regex(PATTERNS.traceId, "must be 32 lowercase hex digits (a W3C trace id)")
      .optional(),
    /** W3C span id of the request's server span (16 lowercase hex digits). */
    spanId: z.string().regex(PATTERNS.spanId, "must be 16 lowercase hex digits (a W3C span id)").optional(),
  })
  .superRefine((event, ctx) => {
    if (!event.stateless && event.sessionId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sessionId"],
        message: "is required unless stateless is true",
      });
    }
    if (event.identifyActorName !== undefined || event.identifyActorData !== undefined) {
      if (event.identifyActorGivenId === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["identifyActorGivenId"],
          message: "is required when identifyActorName or identifyActorData is set",
        });
      }
    }
  });

export const batchSchema = z.object({
  events: z
    .array(z.unknown())
    .min(1, "must contain at least one event")
    .max(LIMITS.batchEvents, `must contain at most ${LIMITS.batchEvents} events`),
  /** Events the SDK dropped (queue full) since its previous successful batch. */
  droppedEvents: z.number().int().nonnegative().optional(),
});

export type Event = z.infer<typeof eventSchema>;
export type EventInput = z.input<typeof eventSchema>;
export type ErrorData = z.infer<typeof errorDataSchema>;
export type Batch = { events: Event[]; droppedEvents?: number };

/** One event of a batch the collector refused, in the 2xx answer to the batch. */
export const rejectionSchema = z.object({
  /** The event's position in the batch's `events`; an index may repeat (one entry per problem). */
  index: z.number().int().nonnegative(),
  code: z.enum(REJECTION_CODES),
  /** The field at fault (`timestamp`, `error.message`), or `(event)` for the event as a whole. */
  field: z.string(),
  reason: z.string(),
});

/** The collector's `200` answer to `POST /v1/batch`. */
export const batchResponseSchema = z.object({
  /** Events stored now. */
  accepted: z.number().int().nonnegative(),
  /** Events already stored by an earlier attempt (same id): delivered too. */
  duplicates: z.number().int().nonnegative(),
  /** Events refused, never stored; retrying them does not help. Always present, possibly empty. */
  rejected: z.array(rejectionSchema),
});

export type Rejection = z.infer<typeof rejectionSchema>;
export type BatchResponse = z.infer<typeof batchResponseSchema>;
