// Runs the shared SDK event scenarios (packages/protocol/vectors/sdk-events.json): the reference
// server on the MCP SDK's McpServer, a real client over the in-memory transport, and the events the
// SDK delivers to a real HTTP sink, compared step by step after normalisation.
import { type Event, validateEvent } from "@mcpsight/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { flush, type McpRequest, track, type UserIdentity } from "../src/index.js";
import { deriveSessionId } from "../src/session-id.js";
import { SDK_LANGUAGE } from "../src/version.js";
import { Sink } from "./helpers/sink.js";
import { readVectors } from "./helpers/vectors.js";

interface Step {
  request: string;
  params?: Record<string, unknown>;
  result?: unknown;
  toolList?: { names: string[]; withContext: string[] };
  events: Record<string, unknown>[];
}
interface Scenario {
  name: string;
  identify?: string;
  identifyCalls?: number;
  steps: Step[];
}
interface SdkEventVectors {
  projectId: string;
  client: { name: string; version: string };
  server: { name: string; version: string; tools: { name: string }[] };
  identifyRules: Record<string, string>;
  constants: { contextProperty: unknown; getMoreToolsTool: unknown };
  eventDefaults: Record<string, unknown>;
  scenarios: Scenario[];
  sessionIds: { projectId: string; transportSessionId: string; generation: number; sessionId: string }[];
}

const vectors = readVectors<SdkEventVectors>("sdk-events.json");

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/** The reference server the file describes, on the high-level McpServer. */
function referenceServer(): McpServer {
  const server = new McpServer({ name: vectors.server.name, version: vectors.server.version });
  server.registerTool(
    "add",
    { inputSchema: { a: z.number().int(), b: z.number().int() } },
    async ({ a, b }) => text(String(a + b)),
  );
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text: value }) => text(value));
  server.registerTool("fail_result", {}, async () => ({ ...text("nope"), isError: true }));
  server.registerTool("fail_throw", {}, async () => {
    throw new Error("boom");
  });
  server.registerResource("note", "note://1", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "hello note" }],
  }));
  server.registerPrompt("greet", { argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Hello, ${name}!` } }],
  }));
  return server;
}

const IDENTIFY_RULES: Record<string, (request: McpRequest) => UserIdentity> = {
  toolUser: (request) => ({
    userId: `user-${String(request.params?.name)}`,
    userName: "Ada Lovelace",
    userData: { plan: "pro" },
  }),
};

/** Sends one step's request with the client's own method for it. */
function send(client: Client, step: Step): Promise<unknown> {
  const params = step.params ?? {};
  switch (step.request) {
    case "tools/list":
      return client.listTools();
    case "tools/call":
      return client.callTool(params as Parameters<Client["callTool"]>[0]);
    case "resources/list":
      return client.listResources();
    case "resources/read":
      return client.readResource(params as Parameters<Client["readResource"]>[0]);
    case "prompts/list":
      return client.listPrompts();
    case "prompts/get":
      return client.getPrompt(params as Parameters<Client["getPrompt"]>[0]);
    default:
      throw new Error(`the runner does not know the request ${step.request}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** State a scenario's matching shares: session bindings and the ids seen. */
interface MatchState {
  sessions: Map<string, string>;
  ids: Set<string>;
}

/** Mismatches of `actual` against `expected` (the file's `matching` rules), as readable lines. */
function mismatches(expected: unknown, actual: unknown, path: string, state: MatchState): string[] {
  const fail = (what: string) => [`${path}: expected ${what}, got ${JSON.stringify(actual)}`];
  if (typeof expected === "string" && expected.startsWith("<") && expected.endsWith(">")) {
    const session = /^<session:(.+)>$/.exec(expected)?.[1];
    if (session !== undefined) {
      if (typeof actual !== "string" || actual === "") return fail("a session id");
      const bound = state.sessions.get(session);
      if (bound === undefined) {
        if ([...state.sessions.values()].includes(actual)) return fail(`a session id other than the others`);
        state.sessions.set(session, actual);
      } else if (bound !== actual) return fail(`the session id ${bound}`);
      return [];
    }
    switch (expected) {
      case "<id>":
        if (typeof actual !== "string" || actual === "" || state.ids.has(actual))
          return fail("a new event id");
        state.ids.add(actual);
        return [];
      case "<timestamp>":
        return typeof actual === "string" && TIMESTAMP.test(actual) ? [] : fail("a UTC timestamp with ms");
      case "<duration>":
        return typeof actual === "number" && actual >= 0 ? [] : fail("a duration");
      case "<sdkLanguage>":
        return actual === SDK_LANGUAGE ? [] : fail(SDK_LANGUAGE);
      case "<sdkVersion>":
        return typeof actual === "string" && actual !== "" ? [] : fail("a version");
      case "<any>":
      case "<any?>":
        return actual === undefined ? fail("a value") : [];
    }
  }
  if (isObject(expected) && Object.keys(expected).length === 1) {
    const [key] = Object.keys(expected);
    const inner = expected[key as string];
    if (key === "$contains") {
      return typeof actual === "string" && actual.includes(String(inner))
        ? []
        : fail(`text containing ${inner}`);
    }
    if (key === "$names") {
      if (!Array.isArray(actual)) return fail("an array");
      const names = actual.map((item) => (isObject(item) ? item.name : undefined));
      return JSON.stringify(names) === JSON.stringify(inner) ? [] : fail(`names ${JSON.stringify(inner)}`);
    }
    if (key === "$subset") {
      if (!isObject(actual) || !isObject(inner)) return fail("an object");
      return Object.entries(inner).flatMap(([k, v]) => mismatches(v, actual[k], `${path}.${k}`, state));
    }
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return fail(`${expected.length} items`);
    return expected.flatMap((item, i) => mismatches(item, actual[i], `${path}[${i}]`, state));
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return fail("an object");
    const problems: string[] = [];
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(key in expected))
        problems.push(`${path}.${key}: not expected, got ${JSON.stringify(actual[key])}`);
      else if (!(key in actual)) {
        if (expected[key] !== "<any?>") problems.push(`${path}.${key}: missing`);
      } else problems.push(...mismatches(expected[key], actual[key], `${path}.${key}`, state));
    }
    return problems;
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : fail(JSON.stringify(expected));
}

/** The file's normalisation: no empty `parameters`, no get_more_tools in a recorded tools/list. */
function normalise(event: Event): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event };
  if (isObject(out.parameters) && Object.keys(out.parameters).length === 0) delete out.parameters;
  const tools = isObject(out.response) ? out.response.tools : undefined;
  if (out.eventType === "mcp:tools/list" && Array.isArray(tools)) {
    out.response = {
      ...(out.response as object),
      tools: tools.filter((tool) => tool?.name !== "get_more_tools"),
    };
  }
  return out;
}

function checkToolList(result: unknown, expected: NonNullable<Step["toolList"]>): void {
  const tools = (result as { tools: { name: string; inputSchema: Record<string, unknown> }[] }).tools;
  expect(tools.map((tool) => tool.name)).toEqual(expected.names);
  for (const tool of tools) {
    if (tool.name === "get_more_tools") {
      expect(tool).toEqual(vectors.constants.getMoreToolsTool);
      continue;
    }
    const properties = tool.inputSchema.properties as Record<string, unknown> | undefined;
    const injected = expected.withContext.includes(tool.name);
    expect(properties?.context, tool.name).toEqual(injected ? vectors.constants.contextProperty : undefined);
    expect((tool.inputSchema.required as string[] | undefined)?.includes("context") ?? false).toBe(injected);
  }
}

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

describe("sdk-events vectors", () => {
  it("the runner's server has the tools the file describes, and knows its identify rules", () => {
    const registered = Object.keys(
      (referenceServer() as unknown as { _registeredTools: object })._registeredTools,
    );
    expect(registered).toEqual(vectors.server.tools.map((tool) => tool.name));
    expect(Object.keys(IDENTIFY_RULES)).toEqual(Object.keys(vectors.identifyRules));
  });

  it.each(vectors.scenarios.map((scenario) => [scenario.name, scenario] as const))(
    "%s",
    async (_name, scenario) => {
      let identifyCalls = 0;
      const rule = scenario.identify === undefined ? undefined : IDENTIFY_RULES[scenario.identify];
      const server = referenceServer();
      track(server, vectors.projectId, {
        apiBaseUrl: sink.url,
        ...(rule && {
          identify: (request: McpRequest) => {
            identifyCalls += 1;
            return rule(request);
          },
        }),
      });
      const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
      await server.connect(serverTransport);
      const client = new Client(vectors.client);
      const state: MatchState = { sessions: new Map(), ids: new Set() };
      let seen = sink.events.length;

      for (const [index, step] of scenario.steps.entries()) {
        const label = `step ${index} (${step.request})`;
        let result: unknown;
        if (step.request === "initialize") await client.connect(clientTransport);
        else result = await send(client, step);
        if (step.result !== undefined)
          expect(mismatches(step.result, result, "result", state), label).toEqual([]);
        if (step.toolList) checkToolList(result, step.toolList);

        await flush();
        const emitted = sink.events.slice(seen);
        seen += emitted.length;
        for (const event of emitted) {
          const verdict = validateEvent(event);
          expect(verdict.ok ? [] : verdict.issues, `${label}: invalid ${event.eventType} event`).toEqual([]);
        }
        const byType = new Map(emitted.map((event) => [event.eventType, normalise(event)]));
        expect([...byType.keys()].sort(), `${label}: event types`).toEqual(
          step.events.map((event) => event.eventType).sort(),
        );
        expect(byType.size, `${label}: one event per type`).toBe(emitted.length);
        for (const expected of step.events) {
          const actual = byType.get(expected.eventType as string);
          const full = { ...vectors.eventDefaults, ...expected };
          expect(mismatches(full, actual, String(expected.eventType), state), label).toEqual([]);
        }
      }
      await client.close();
      if (scenario.identifyCalls !== undefined) expect(identifyCalls).toBe(scenario.identifyCalls);
    },
  );

  it.each(vectors.sessionIds)("derives $sessionId from a transport session id", (vector) => {
    expect(deriveSessionId(vector.projectId, vector.transportSessionId, vector.generation)).toBe(
      vector.sessionId,
    );
  });
});

describe("the sdk-events matcher", () => {
  const state = (): MatchState => ({ sessions: new Map(), ids: new Set() });
  it("rejects what the placeholders do not allow", () => {
    expect(mismatches("<duration>", -1, "d", state())).toHaveLength(1);
    expect(mismatches("<timestamp>", "2026-01-01T00:00:00Z", "t", state())).toHaveLength(1);
    expect(mismatches({ a: "<any?>" }, {}, "o", state())).toEqual([]);
    expect(mismatches({ a: "<any>" }, {}, "o", state())).toHaveLength(1);
    expect(mismatches({ a: 1 }, { a: 1, b: 2 }, "o", state())).toHaveLength(1);
    expect(mismatches({ $subset: { a: 1 } }, { a: 1, b: 2 }, "o", state())).toEqual([]);
    expect(mismatches({ $names: ["x", "y"] }, [{ name: "y" }, { name: "x" }], "n", state())).toHaveLength(1);
    expect(mismatches({ $contains: "boom" }, "Error: boom!", "m", state())).toEqual([]);
  });

  it("binds session names to one value each, and ids to new values", () => {
    const shared = state();
    expect(mismatches("<session:1>", "ses_a", "s", shared)).toEqual([]);
    expect(mismatches("<session:1>", "ses_b", "s", shared)).toHaveLength(1);
    expect(mismatches("<session:2>", "ses_a", "s", shared)).toHaveLength(1);
    expect(mismatches("<id>", "e1", "i", shared)).toEqual([]);
    expect(mismatches("<id>", "e1", "i", shared)).toHaveLength(1);
  });
});
