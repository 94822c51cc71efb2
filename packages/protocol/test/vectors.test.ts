import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromMcpcatEvent, validateBatch, validateEvent } from "../src/index.js";

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
  valid: boolean;
  issues?: { index?: number; field: string }[];
}
interface McpcatVector {
  name: string;
  input: unknown;
  expected: Record<string, unknown>;
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
  for (const vector of load<BatchVector[]>("batches.json")) {
    it(vector.name, () => {
      const result = validateBatch(vector.batch);
      expect(result.ok).toBe(vector.valid);
      if (!result.ok) {
        for (const expected of vector.issues ?? []) {
          expect(result.issues).toContainEqual(expect.objectContaining(expected));
        }
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
