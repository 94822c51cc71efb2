// The JSON Schema files other SDKs validate against: fresh (regenerated from the zod schemas), and
// in agreement with the zod validation on the protocol's own vectors.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { protocolJsonSchemas } from "../scripts/json-schema.js";

const read = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), "utf8"));

interface Vector {
  name: string;
  valid: boolean;
}
interface EventVector extends Vector {
  event: unknown;
}
interface BatchVector extends Vector {
  batch: unknown;
  /** Events the collector rejects one by one (the envelope being valid). */
  rejected?: unknown[];
}

const schemas = protocolJsonSchemas();
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validEvent = ajv.compile(read("schema/event.schema.json") as object);
const validBatch = ajv.compile(read("schema/batch.schema.json") as object);

/** Vectors on which JSON Schema must disagree with the protocol, and why (the schema's description says so). */
const EVENT_EXCEPTIONS: Record<string, { valid: boolean; why: string }> = {
  "unknown fields are ignored": { valid: false, why: "additionalProperties is false for SDKs" },
  "event larger than 256 KiB": { valid: true, why: "the byte limit is checked by hand" },
  "parameters nested 65 levels deep": { valid: true, why: "the depth limit is checked by hand" },
  "properties nested 65 levels deep": { valid: true, why: "the depth limit is checked by hand" },
  ...Object.fromEntries(
    [
      "timestamp offset +99:99",
      "timestamp offset +2400",
      "timestamp offset +00:60",
      "timestamp February 30",
      "timestamp February 29 of a common year",
    ].map((name) => [
      name,
      { valid: true, why: "the pattern gives the shape; the ranges are checked by hand" },
    ]),
  ),
};
const BATCH_EXCEPTIONS: Record<string, { valid: boolean; why: string }> = {
  "duplicate id in batch": { valid: true, why: "unique ids are checked by hand" },
};

describe("JSON Schema files", () => {
  it.each(Object.entries(schemas))("%s.schema.json is what `npm run schema` generates", (name, schema) => {
    const file = read(`schema/${name}.schema.json`);
    expect(
      JSON.stringify(file),
      `schema/${name}.schema.json is stale: run npm run schema --workspace packages/protocol`,
    ).toBe(JSON.stringify(schema));
  });

  it("states the cross-field rules zod only checks in code", () => {
    const base = { id: "e", projectId: "p", eventType: "mcp:ping", timestamp: "2026-11-27T10:00:00.000Z" };
    expect(validEvent(base)).toBe(false); // sessionId required…
    expect(validEvent({ ...base, stateless: true })).toBe(true); // …unless stateless
    expect(validEvent({ ...base, stateless: false })).toBe(false);
    expect(validEvent({ ...base, sessionId: "s", identifyActorName: "Ada" })).toBe(false);
    expect(validEvent({ ...base, sessionId: "s", identifyActorName: "Ada", identifyActorGivenId: "u" })).toBe(
      true,
    );
    const tags = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, "v"]));
    expect(validEvent({ ...base, sessionId: "s", tags: tags(50) })).toBe(true);
    expect(validEvent({ ...base, sessionId: "s", tags: tags(51) })).toBe(false);
  });
});

describe("event.schema.json on the event vectors", () => {
  it.each(read("vectors/events.json") as EventVector[])("$name", (vector) => {
    const expected = EVENT_EXCEPTIONS[vector.name]?.valid ?? vector.valid;
    expect(validEvent(vector.event), JSON.stringify(validEvent.errors)).toBe(expected);
  });
});

describe("batch.schema.json on the batch vectors", () => {
  it.each(read("vectors/batches.json") as BatchVector[])("$name", (vector) => {
    // What an SDK sends: a valid envelope of valid events (the collector takes the rest event by event).
    const expected = BATCH_EXCEPTIONS[vector.name]?.valid ?? (vector.valid && !vector.rejected?.length);
    expect(validBatch(vector.batch), JSON.stringify(validBatch.errors)).toBe(expected);
  });
});
