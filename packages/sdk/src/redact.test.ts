import type { Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";
import { describe, expect, it } from "vitest";
import { makeEvent } from "../test/helpers/delivery.js";
import { fitEventSize, sanitizeEvent } from "./redact.js";

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe("sanitizeEvent's size bound", () => {
  it("is never below the bytes of the event's JSON", () => {
    const awkward: Partial<Event>[] = [
      { parameters: { text: "plain ascii" } },
      { parameters: { control: '\u0000\u0001\u001f\n\t"\\', quote: '"'.repeat(100) } },
      { parameters: { emoji: "😀".repeat(500), accents: "é".repeat(700), cjk: "漢".repeat(300) } },
      { parameters: { lone: "\ud800\udc00\ud800x\udfff".repeat(50) } },
      { parameters: { list: [1, -1.7976931348623157e308, null, undefined, true, () => 1, Number.NaN] } },
      { parameters: { when: new Date(0), map: new Map([["a", 1]]), set: new Set(["x"]), big: 10n } },
      { parameters: { apiKey: "sk-1", nested: { deeper: [{ token: "t" }, { ok: "k".repeat(40_000) }] } } },
      { response: { content: [{ type: "image", data: "A".repeat(1000), mimeType: "image/png" }] } },
      { userIntent: "why".repeat(2000), tags: { env: "prod" }, properties: { plan: "pro", seats: 3 } },
      { isError: true, error: { message: "\u0007 boom", type: "TypeError", stack: "at x\n".repeat(900) } },
    ];
    for (const fields of awkward) {
      const { event, maxBytes } = sanitizeEvent(makeEvent(1, fields));
      expect(maxBytes).toBeGreaterThanOrEqual(bytes(event));
    }
  });
});

describe("fitEventSize", () => {
  it("returns ordinary events as they are", () => {
    const sanitized = sanitizeEvent(makeEvent(1));
    expect(fitEventSize(sanitized)).toBe(sanitized.event);
  });

  it("keeps an event whose bound is over the limit but whose JSON fits", () => {
    // 100,000 × "é": a bound of ~600 KB, 200 KB of JSON.
    const text = Array.from({ length: 4 }, () => "é".repeat(25_000));
    const sanitized = sanitizeEvent(makeEvent(1, { parameters: { text } }));
    expect(sanitized.maxBytes).toBeGreaterThan(LIMITS.eventBytes);
    expect(fitEventSize(sanitized).parameters).toEqual({ text });
  });

  it("drops the response first, then parameters, until the event fits", () => {
    const chunk = "Lorem, ipsum. ".repeat(LIMITS.valueStringLength / 14);
    const huge = Array.from({ length: 10 }, () => chunk);
    const fitted = fitEventSize(
      sanitizeEvent(makeEvent(1, { parameters: { small: 1 }, response: { huge } })),
    );
    expect(bytes(fitted)).toBeLessThanOrEqual(LIMITS.eventBytes);
    expect(fitted.response).toMatch(/omitted/);
    expect(fitted.parameters).toEqual({ small: 1 });

    const both = fitEventSize(sanitizeEvent(makeEvent(2, { parameters: { huge }, response: { huge } })));
    expect(bytes(both)).toBeLessThanOrEqual(LIMITS.eventBytes);
    expect(both.parameters).toMatch(/omitted/);
  });
});
