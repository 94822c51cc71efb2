import { readFileSync } from "node:fs";
import { inspect, isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { LIMITS } from "./constants.js";
import { fromMcpcatEvent } from "./mcpcat.js";
import { eventSchema } from "./schema.js";
import { EVENT_KEYS, validEvent } from "./valid-event.js";

type Fields = Record<string, unknown>;

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));

/** A value with the order of its keys made visible (and compared), as `JSON.stringify` sees it. */
function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== "object" || value === null) return value;
  return Reflect.ownKeys(value).map((key) => [key, ordered((value as Fields)[key as string])]);
}

/**
 * What differs between the fast path and the schema for `input`, or null when they agree: the
 * fast path gives exactly what the schema gives (the same keys in the same order, the same
 * values, unknown-typed fields the very same values, records and the error object fresh copies as
 * zod makes them), or defers exactly when the schema refuses. Checked without `expect` on the way,
 * which is slow over tens of thousands of events.
 */
function disagreement(input: unknown): string | null {
  const schema = eventSchema.safeParse(input);
  const fast = validEvent(input);
  if (!schema.success)
    return fast === undefined ? null : "the fast path accepted an event the schema refuses";
  if (fast === undefined) return "the fast path deferred a valid event";
  const event = fast as Fields;
  const data = schema.data as Fields;
  if (!isDeepStrictEqual(event, data)) return "the values differ";
  if (!isDeepStrictEqual(ordered(event), ordered(data))) return "the keys differ or are in another order";
  for (const key of ["parameters", "response"])
    if (!Object.is(event[key], data[key])) return `${key} is not the input's value`;
  for (const key of ["error", "tags", "identifyActorData", "properties"])
    if (event[key] !== undefined && Object.is(event[key], (input as Fields)[key]))
      return `${key} is not a copy`;
  return null;
}

/** Whether the schema accepts `input`, after checking that the fast path agrees. */
function expectAgreement(input: unknown): boolean {
  const problem = disagreement(input);
  if (problem !== null) {
    const fast = validEvent(input);
    const schema = eventSchema.safeParse(input);
    expect.fail(
      `${problem}: ${describeValue(input)}\nfast path: ${describeValue(fast)}\nschema: ${describeValue(schema)}`,
    );
  }
  return validEvent(input) !== undefined;
}

const describeValue = (value: unknown) => inspect(value, { depth: 6, breakLength: 120 });

/** mulberry32: a small seeded generator, so a failure repeats. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = rng(20261204);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
const chance = (p: number) => random() < p;

const UNITS = ["a", "Z", "0", " ", "é", "€", "😀", "\u0000", "\n", "\r", "\u2028", "\\", '"', "\ud800", "$"];
/** A string of exactly `length` UTF-16 units (an emoji counts two; a lone surrogate may be left). */
function textOf(length: number, units: readonly string[] = UNITS): string {
  let out = "";
  while (out.length < Math.min(length, 64)) out += pick(units);
  // Long strings repeat a random start: their length is what matters.
  return out.repeat(Math.ceil(length / Math.max(out.length, 1))).slice(0, length);
}
/** A length near 0, near `max`, or between. */
const lengthUpTo = (max: number, min = 0) =>
  pick([min, min + 1, max - 1, max, min + int(Math.min(max - min, 40))].filter((n) => n >= min && n <= max));

const TIMESTAMP_CASES = load<{ cases: { input: string; epochMs: number | null }[] }>("timestamps.json").cases;
const TIMESTAMPS = TIMESTAMP_CASES.map((c) => c.input);
const VALID_TIMESTAMPS = TIMESTAMP_CASES.filter((c) => c.epochMs !== null).map((c) => c.input);
const HEX = "0123456789abcdef".split("");
const TAG_KEY_UNITS = "AZaz09$_.:- ".split("");

function jsonValue(depth: number): unknown {
  switch (depth > 3 ? int(4) : int(7)) {
    case 0:
      return textOf(int(12));
    case 1:
      return pick([0, -1, 1.5, 1e21, -0]);
    case 2:
      return chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: int(4) }, () => jsonValue(depth + 1));
    default:
      return jsonObject(depth + 1);
  }
}

function jsonObject(depth = 0): Fields {
  const out: Fields = {};
  for (let i = int(5); i > 0; i--)
    out[pick(["a", "b", "1", "0", "key with space", textOf(3)])] = jsonValue(depth);
  return out;
}

function tags(): Fields {
  const out: Fields = {};
  const count = pick([0, 1, 3, LIMITS.tagCount]);
  for (let i = 0; i < count; i++)
    out[`${textOf(lengthUpTo(LIMITS.tagKeyLength - 3, 1), TAG_KEY_UNITS)}${i}`] = textOf(
      lengthUpTo(LIMITS.tagValueLength),
      UNITS.filter((u) => u !== "\n" && u !== "\r"),
    );
  return out;
}

/** A valid event with a random choice of fields, values and lengths (some at their limits). */
function validInput(): Fields {
  const event: Fields = {
    id: textOf(lengthUpTo(LIMITS.idLength, 1)),
    projectId: textOf(lengthUpTo(LIMITS.projectIdLength, 1)),
    eventType: pick([
      "mcp:tools/call",
      "mcp:initialize",
      "mcpsight:identify",
      "mcpcat:custom",
      "mcp:a.b-c_d/E9",
    ]),
    timestamp: chance(0.7) ? new Date(int(4e12)).toISOString() : pick(VALID_TIMESTAMPS),
  };
  const maybe = (key: string, value: () => unknown) => {
    if (chance(0.5)) event[key] = value();
  };
  const name = () => textOf(lengthUpTo(LIMITS.nameLength));
  maybe("sessionId", () => textOf(lengthUpTo(LIMITS.sessionIdLength, 1)));
  maybe("duration", () => pick([0, 12.5, 1e9, 3]));
  maybe("resourceName", name);
  maybe("parameters", () => pick([jsonObject(), jsonValue(0), null]));
  maybe("response", () => pick([jsonObject(), { content: [{ type: "text", text: textOf(20) }] }]));
  maybe("userIntent", () => textOf(lengthUpTo(LIMITS.userIntentLength)));
  maybe("isError", () => chance(0.5));
  maybe("error", () => {
    const error: Fields = { message: textOf(lengthUpTo(LIMITS.errorMessageLength)) };
    if (chance(0.5)) error.type = name();
    if (chance(0.5)) error.stack = textOf(lengthUpTo(LIMITS.errorStackLength));
    if (chance(0.2)) error.code = "E_EXTRA";
    return error;
  });
  maybe("identifyActorGivenId", () => textOf(lengthUpTo(LIMITS.nameLength, 1)));
  if (event.identifyActorGivenId !== undefined) {
    maybe("identifyActorName", name);
    maybe("identifyActorData", jsonObject);
  }
  for (const key of [
    "clientName",
    "clientVersion",
    "serverName",
    "serverVersion",
    "sdkLanguage",
    "sdkVersion",
  ])
    maybe(key, name);
  maybe("tags", tags);
  maybe("properties", jsonObject);
  maybe("stateless", () => chance(0.5));
  if (event.sessionId === undefined) event.stateless = true;
  maybe("correlationId", () => textOf(lengthUpTo(LIMITS.sessionIdLength, 1)));
  maybe("traceId", () => textOf(32, HEX));
  maybe("spanId", () => textOf(16, HEX));
  maybe("someFutureField", () => jsonValue(0));
  return event;
}

class Thing {
  message = "a class instance";
}

/** Values of every kind, to put where a field's value was. */
const oddValue = (): unknown =>
  pick<() => unknown>([
    () => undefined,
    () => null,
    () => pick([0, -1, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]),
    () => "",
    () => textOf(int(40)),
    () => pick([true, false]),
    () => [],
    () => ["x"],
    () => Object.assign(["x"], { message: "an array", a: 1 }),
    () => ({}),
    () => jsonObject(),
    () => new Thing(),
    () => Object.create(null),
    () => new Date(0),
    () => new Map([["a", 1]]),
    () => JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
    () => ({ constructor: "not a function" }),
    () => ({ constructor: { prototype: { isPrototypeOf: 1 } }, a: 1 }),
    () => ({ [Symbol("s")]: 1 }),
    () => textOf(32, HEX),
    () => textOf(16, HEX).toUpperCase(),
    () => pick(TIMESTAMPS),
    () => "mcp:tools call",
    () => "x".repeat(pick([31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 201, 256, 257, 512, 513, 4096, 4097])),
  ])();

/** An event with one thing changed: a field's value, a field removed, a key added, a nested value. */
function mutated(base: Fields): unknown {
  const event: Fields = { ...base };
  const key = pick([...EVENT_KEYS, "__proto__", "constructor", "toString", "extra"]);
  switch (int(8)) {
    case 0:
      delete event[key];
      return event;
    case 1: {
      // A nested change: an error field, a tag, or a key of a JSON object.
      const target = pick(["error", "tags", "identifyActorData", "properties"]);
      const nested: Fields = { ...((event[target] as Fields | undefined) ?? {}) };
      nested[pick(["message", "type", "stack", "", "a b", "key\n", "é", "x".repeat(33), "__proto__"])] =
        oddValue();
      event[target] = nested;
      return event;
    }
    case 2:
      // A JSON text, so that `__proto__` arrives as an own key, as JSON.parse makes it.
      return JSON.parse(
        JSON.stringify(event).replace(/^\{/, `{"__proto__": ${JSON.stringify(oddValue()) ?? 1},`),
      );
    case 3:
      return Object.assign(Object.create({ [key]: oddValue() }), event);
    default:
      event[key] = oddValue();
      return event;
  }
}

describe("the event fast path", () => {
  it("knows the schema's fields in the schema's order", () => {
    expect([...EVENT_KEYS]).toEqual(Object.keys(eventSchema.shape));
  });

  it("agrees with the schema on the protocol's vectors", () => {
    const inputs: unknown[] = [
      ...load<{ event: unknown }[]>("events.json").map((v) => v.event),
      ...load<{ batch: { events?: unknown } }[]>("batches.json").flatMap((v) =>
        Array.isArray(v.batch.events) ? v.batch.events : [],
      ),
      ...load<{ input: unknown; expected: unknown }[]>("mcpcat.json").flatMap((v) => [
        fromMcpcatEvent(v.input),
        v.expected,
      ]),
    ];
    let valid = 0;
    for (const input of inputs) {
      if (expectAgreement(input)) valid++;
      expectAgreement(JSON.parse(JSON.stringify(input) ?? "null"));
    }
    expect(valid).toBeGreaterThan(20);
    expect(valid).toBeLessThan(inputs.length);
  });

  it("agrees with the schema on generated valid events and on every kind of change to them", () => {
    let valid = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const event = validInput();
      expect(expectAgreement(event)).toBe(true);
      expect(expectAgreement(JSON.parse(JSON.stringify(event)))).toBe(true);
      for (let j = 0; j < 8; j++) {
        if (expectAgreement(mutated(event))) valid++;
        else refused++;
      }
    }
    // Both outcomes are well covered.
    expect(valid).toBeGreaterThan(4000);
    expect(refused).toBeGreaterThan(4000);
  });

  it("agrees on values that are not objects, and on the refinements", () => {
    for (const input of [undefined, null, 1, "event", [], [{}], new Thing()]) expectAgreement(input);
    const base = {
      id: "e1",
      projectId: "p1",
      eventType: "mcp:tools/call",
      timestamp: "2026-11-27T10:00:00.000Z",
    };
    for (const extra of [
      {},
      { stateless: false },
      { stateless: true },
      { sessionId: undefined, stateless: true },
      { sessionId: "s", identifyActorName: "n" },
      { sessionId: "s", identifyActorData: {} },
      { sessionId: "s", identifyActorData: {}, identifyActorGivenId: "u" },
      { sessionId: "s", identifyActorName: undefined, identifyActorGivenId: undefined },
      { sessionId: "s", tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) },
      { sessionId: "s", tags: { a: "one\ntwo" } },
      { sessionId: "s", error: { message: "m", type: undefined } },
      { sessionId: "s", error: new Thing() },
      { sessionId: "s", duration: -0 },
    ])
      expectAgreement({ ...base, ...extra });
  });
});
