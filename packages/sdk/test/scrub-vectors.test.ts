// Runs the shared scrubbing vectors (packages/protocol/vectors/scrub.json) through the real
// structural pass, user redaction and size limit: the reference every SDK must match.
import type { Event } from "@mcpsight/protocol";
import { sanitize } from "@mcpsight/protocol/sanitize";
import { describe, expect, it } from "vitest";
import { fitEventSize, type RedactFunction, redactEvent, sanitizeEvent } from "../src/redact.js";
import { expandMacros, readVectors } from "./helpers/vectors.js";

interface ValueCase {
  name: string;
  input: unknown;
  maxString?: number;
  expected: unknown;
}
interface EventCase {
  name: string;
  event: Record<string, unknown>;
  redact?: string;
  expected: Record<string, unknown> | null;
}
interface ScrubVectors {
  redactions: Record<string, string>;
  eventDefaults: Record<string, unknown>;
  values: ValueCase[];
  events: EventCase[];
}

const vectors = readVectors<ScrubVectors>("scrub.json");

const REDACTIONS: Record<string, RedactFunction> = {
  upper: (text) => text.replace(/[a-z]/g, (letter) => letter.toUpperCase()),
  double: (text) => text + text,
  fail: () => {
    throw new Error("redaction failed");
  },
};

const CONTENT_FIELDS = ["parameters", "response", "properties", "identifyActorData"] as const;

/** Equal as JSON values, and with the same key order (JSON.stringify writes keys in order). */
function expectSameJson(actual: unknown, expected: unknown): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

const withDefaults = (fields: Record<string, unknown>) =>
  expandMacros({ ...vectors.eventDefaults, ...fields }) as Event;

async function scrubEvent(event: Event, redact: string | undefined): Promise<Event | null> {
  if (redact === undefined) return fitEventSize(sanitizeEvent(event));
  const fn = REDACTIONS[redact];
  if (!fn) throw new Error(`unknown redaction ${redact}`);
  return redactEvent(event, fn).then(fitEventSize, () => null);
}

describe("scrub vectors: values", () => {
  it("every redaction the file names has an implementation here", () => {
    expect(Object.keys(vectors.redactions).sort()).toEqual(Object.keys(REDACTIONS).sort());
  });

  it.each(vectors.values.map((vector) => [vector.name, vector] as const))("%s", (_name, vector) => {
    const output =
      vector.maxString === undefined
        ? sanitize(expandMacros(vector.input))
        : sanitize(expandMacros(vector.input), vector.maxString);
    expectSameJson(output, expandMacros(vector.expected));
  });
});

describe("scrub vectors: events", () => {
  it.each(vectors.events.map((vector) => [vector.name, vector] as const))("%s", async (_name, vector) => {
    const output = await scrubEvent(withDefaults(vector.event), vector.redact);
    if (vector.expected === null) {
      expect(output).toBeNull();
      return;
    }
    const expected = withDefaults(vector.expected);
    expect(output).toEqual(expected);
    // Content keeps its key order; the event's own fields may come in any order.
    for (const field of CONTENT_FIELDS) expectSameJson(output?.[field], expected[field]);
  });
});
