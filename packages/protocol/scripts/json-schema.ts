// The protocol's zod schemas as JSON Schema (draft 2020-12), for the SDKs in other languages: their
// tests validate every event they emit against packages/protocol/schema/*.schema.json. zod exports
// the field rules; the cross-field rules (zod refinements) are added here in JSON Schema terms,
// and what JSON Schema cannot say is written in the description for tests to check by hand.
import { z } from "zod/v4";
import { LIMITS } from "../src/constants.js";
import { batchSchema, eventSchema, tagsSchema } from "../src/schema.js";

type JsonSchema = Record<string, unknown>;

const GENERATED =
  "Generated from packages/protocol/src/schema.ts by `npm run schema --workspace packages/protocol`; do not edit.";

const EVENT_DESCRIPTION = [
  "One mcpsight analytics event, protocol 1.",
  GENERATED,
  "Cross-field rules stated here: sessionId is required unless stateless is true (if/then);" +
    " identifyActorGivenId is required when identifyActorName or identifyActorData is set (dependentRequired);" +
    ` at most ${LIMITS.tagCount} tags (maxProperties).`,
  "additionalProperties is false: an SDK of this protocol version sends no other fields" +
    " (the collector ignores unknown fields, so that newer SDKs work with older collectors).",
  "Rules JSON Schema cannot state, to check by hand:" +
    " (1) maxLength counts UTF-16 code units in the protocol but code points in JSON Schema, so a string" +
    " with characters outside the BMP (emoji) may pass here and still be too long;" +
    ` (2) the event's compact JSON is at most ${LIMITS.eventBytes} bytes of UTF-8;` +
    ` (3) arrays and objects nest at most ${LIMITS.jsonDepth} levels deep inside parameters, response,` +
    " identifyActorData and properties;" +
    " (4) SDKs send timestamps in UTC with milliseconds (2026-12-03T10:00:00.123Z), a stricter form of the pattern;" +
    " (5) the pattern gives the timestamp's shape only: the date must exist (no February 30), hours be 00-23," +
    " minutes and seconds 00-59, offset hours 00-23 and minutes 00-59 (vectors/timestamps.json).",
].join(" ");

const BATCH_DESCRIPTION = [
  "The body of POST /v1/batch as an SDK sends it (before gzip), protocol 1.",
  GENERATED,
  `1 to ${LIMITS.batchEvents} events, each a valid event ($defs/event: the collector checks each event on its` +
    " own and rejects invalid ones individually; an SDK never sends one). droppedEvents counts events the SDK" +
    ` dropped since its previous accepted batch.`,
  `To check by hand: event ids are unique within a batch; the decompressed body is at most ${LIMITS.batchBytes} bytes.`,
].join(" ");

/** The cross-field rules of eventSchema's superRefine, as JSON Schema. */
const EVENT_REFINEMENTS: JsonSchema = {
  if: { properties: { stateless: { const: true } }, required: ["stateless"] },
  else: { required: ["sessionId"] },
  dependentRequired: {
    identifyActorName: ["identifyActorGivenId"],
    identifyActorData: ["identifyActorGivenId"],
  },
};

function override(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  if (ctx.zodSchema === eventSchema) {
    // Title and description first, for a reader opening the file.
    const fields = { ...ctx.jsonSchema };
    for (const key of Object.keys(fields)) delete ctx.jsonSchema[key];
    Object.assign(ctx.jsonSchema, { title: "mcpsight event", description: EVENT_DESCRIPTION }, fields);
    Object.assign(ctx.jsonSchema, EVENT_REFINEMENTS);
  }
  if (ctx.zodSchema === tagsSchema) ctx.jsonSchema.maxProperties = LIMITS.tagCount;
}

/**
 * `event.schema.json` and `batch.schema.json` as objects; the batch schema holds the event schema
 * under `$defs/event`, so each file stands alone.
 *
 * @example
 * const { event } = protocolJsonSchemas(); // { $schema, title: "mcpsight event", … }
 */
export function protocolJsonSchemas(): { event: JsonSchema; batch: JsonSchema } {
  const { $schema, ...event } = z.toJSONSchema(eventSchema, {
    target: "draft-2020-12",
    override,
  }) as JsonSchema;
  const batch = z.toJSONSchema(batchSchema, { target: "draft-2020-12" }) as JsonSchema & {
    properties: { events: JsonSchema };
  };
  // zod's batch takes any events (the collector checks each on its own); SDKs send valid ones.
  batch.properties.events.items = { $ref: "#/$defs/event" };
  return {
    event: { $schema, ...event },
    batch: { $schema, title: "mcpsight batch", description: BATCH_DESCRIPTION, ...batch, $defs: { event } },
  };
}
