import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  fromMcpcatEvent,
  parseTimestamp,
  REJECTION_CODES,
  validateBatch,
  validateEvent,
} from "../src/index.js";

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));

interface EventVector {
  name: string;
  event: unknown;
  valid: boolean;
  field?: string;
}
interface BatchVector {
  name: string;
  batch: unknown;
  /** Whether the envelope is valid (then the batch is answered 2xx). */
  valid: boolean;
  /** Envelope problems of an invalid batch. */
  issues?: { index?: number; field: string }[];
  /** How many events pass validation, and the rejections of the others. */
  events?: number;
  rejected?: { index: number; code: string; field: string }[];
}
interface McpcatVector {
  name: string;
  input: unknown;
  expected: Record<string, unknown>;
}
interface TimestampVector {
  name: string;
  input: string;
  epochMs: number | null;
}

describe("event vectors", () => {
  for (const vector of load<EventVector[]>("events.json")) {
    it(vector.name, () => {
      const result = validateEvent(vector.event);
      expect(result.ok).toBe(vector.valid);
      if (!result.ok) expect(result.issues.map((issue) => issue.field)).toContain(vector.field);
    });
  }
});

describe("batch vectors", () => {
  const key = (r: { index: number; code: string; field: string }) => `${r.index} ${r.code} ${r.field}`;
  for (const vector of load<BatchVector[]>("batches.json")) {
    it(vector.name, () => {
      const result = validateBatch(vector.batch);
      expect(result.ok).toBe(vector.valid);
      if (!result.ok) {
        for (const expected of vector.issues ?? []) {
          expect(result.issues).toContainEqual(expect.objectContaining(expected));
        }
        return;
      }
      expect(result.value.events).toHaveLength(vector.events as number);
      expect(result.value.rejected.map(key).sort()).toEqual((vector.rejected ?? []).map(key).sort());
      for (const rejection of result.value.rejected) {
        expect(REJECTION_CODES).toContain(rejection.code);
        expect(rejection.reason).not.toBe("");
      }
    });
  }
});

describe("mcpcat vectors", () => {
  for (const vector of load<McpcatVector[]>("mcpcat.json")) {
    it(vector.name, () => {
      const converted = fromMcpcatEvent(vector.input);
      expect(converted).toEqual(vector.expected);
      expect(validateEvent(converted).ok).toBe(true);
    });
  }
});

describe("timestamp vectors", () => {
  const { cases } = load<{ cases: TimestampVector[] }>("timestamps.json");
  for (const vector of cases) {
    it(`${vector.name}: ${JSON.stringify(vector.input)}`, () => {
      expect(parseTimestamp(vector.input)).toBe(vector.epochMs);
      const event = {
        id: "e",
        projectId: "p",
        sessionId: "s",
        eventType: "mcp:ping",
        timestamp: vector.input,
      };
      expect(validateEvent(event).ok).toBe(vector.epochMs !== null);
    });
  }
});

describe("validateEvent", () => {
  it("strips unknown fields", () => {
    const result = validateEvent({
      id: "e",
      projectId: "p",
      sessionId: "s",
      eventType: "mcp:ping",
      timestamp: "2026-11-27T10:00:00Z",
      extra: true,
    });
    expect(result.ok && "extra" in result.value).toBe(false);
  });
});
