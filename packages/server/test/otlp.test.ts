import { gzipSync } from "node:zlib";
import { REDACTED } from "@mcpsight/protocol";
import { type Attributes, DiagLogLevel, diag, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import type { SessionTimeline } from "../src/storage/index.js";
import { ADMIN_TOKEN, api, derived, removeDir, startCollector, tempDir } from "./helpers.js";

/**
 * The OpenTelemetry JS SDK's own OTLP/HTTP exporters (JSON and protobuf) sending spans that follow
 * the MCP semantic conventions to a real collector; what they recorded is read back through the
 * query API.
 */

type Exporter = JsonExporter | ProtoExporter;
const EXPORTERS = [
  {
    name: "OTLP/HTTP JSON",
    make: (url: string, headers: Record<string, string>) => new JsonExporter({ url, headers }),
  },
  {
    name: "OTLP/HTTP protobuf",
    make: (url: string, headers: Record<string, string>) => new ProtoExporter({ url, headers }),
  },
];

/** Partial-success warnings the exporter logs when it reads the collector's response. */
const warnings: string[] = [];
diag.setLogger(
  {
    error: () => {},
    warn: (...args: unknown[]) => warnings.push(args.map(String).join(" ")),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

const exportSpans = (exporter: Exporter, spans: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

/** Finished spans from a real tracer provider, with a resource like a deployed server's. */
function recordSpans(build: (tracer: ReturnType<NodeTracerProvider["getTracer"]>) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "weather-mcp",
      "service.version": "2.1.0",
      "service.instance.id": `instance-${Math.random()}`,
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  build(provider.getTracer("weather-server"));
  return memory.getFinishedSpans();
}

const T0 = Date.now() - 60_000;
function serverSpan(
  tracer: ReturnType<NodeTracerProvider["getTracer"]>,
  name: string,
  attributes: Attributes,
  at: number,
  end: (span: ReturnType<typeof tracer.startSpan>) => void = () => {},
) {
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, startTime: T0 + at });
  end(span);
  span.end(T0 + at + 25);
  return span.spanContext();
}

describe.each(EXPORTERS)("OTLP traces from the OpenTelemetry JS SDK ($name)", ({ name, make }) => {
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };
  let exporter: Exporter;
  /** A query, once every event the collector has stored is derived. */
  const get = async <T>(path: string) => {
    await derived(collector.url);
    return api<T>(collector.url, `/api/v1/projects/${collector.projectId}${path}`, { token: ADMIN_TOKEN });
  };

  beforeAll(async () => {
    collector = await startCollector(dir);
    exporter = make(`${collector.url}/v1/traces`, { "x-mcpsight-project": collector.projectId });
  });
  afterAll(async () => {
    await exporter.shutdown();
    await collector.close();
    removeDir(dir);
  });

  it("stores MCP server spans as a session with its user, arguments, results, errors and trace ids", async () => {
    const session = `mcp-session-${name}`;
    const common = {
      "mcp.session.id": session,
      "mcp.protocol.version": "2025-06-18",
      "network.transport": "tcp",
      "enduser.id": "alice",
    };
    let toolTrace = "";
    const spans = recordSpans((tracer) => {
      serverSpan(
        tracer,
        "initialize",
        { ...common, "mcp.method.name": "initialize", "jsonrpc.request.id": "1" },
        0,
      );
      toolTrace = serverSpan(
        tracer,
        "tools/call get-weather",
        {
          ...common,
          "mcp.method.name": "tools/call",
          "gen_ai.tool.name": "get-weather",
          "gen_ai.operation.name": "execute_tool",
          "jsonrpc.request.id": "2",
          // A sender other than an mcpsight SDK may not scrub: the collector does.
          "gen_ai.tool.call.arguments": JSON.stringify({ location: "Paris", api_key: "sk-live-0tlp" }),
          "gen_ai.tool.call.result": JSON.stringify({ content: [{ type: "text", text: "sunny" }] }),
          "mcpsight.intent": "plan a picnic",
        },
        1000,
      ).traceId;
      serverSpan(
        tracer,
        "tools/call get-weather",
        {
          ...common,
          "mcp.method.name": "tools/call",
          "gen_ai.tool.name": "get-weather",
          "gen_ai.tool.call.result": JSON.stringify({
            content: [{ type: "text", text: "unknown city" }],
            isError: true,
          }),
          "error.type": "tool_error",
        },
        2000,
        (span) => span.setStatus({ code: SpanStatusCode.ERROR }),
      );
      serverSpan(
        tracer,
        "resources/read",
        { ...common, "mcp.method.name": "resources/read", "mcp.resource.uri": "file:///forecast.md" },
        3000,
        (span) => {
          span.recordException(new RangeError("no such forecast"));
          span.setAttribute("error.type", "RangeError");
          span.setStatus({ code: SpanStatusCode.ERROR, message: "no such forecast" });
        },
      );
      // Not MCP server requests: a client span, a plain HTTP span, a notification.
      tracer
        .startSpan("tools/call get-weather", {
          kind: SpanKind.CLIENT,
          attributes: { "mcp.method.name": "tools/call" },
        })
        .end();
      tracer
        .startSpan("POST /mcp", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } })
        .end();
      serverSpan(
        tracer,
        "notifications/initialized",
        { ...common, "mcp.method.name": "notifications/initialized" },
        500,
      );
    });
    warnings.length = 0;
    expect((await exportSpans(exporter, spans)).code).toBe(0);
    // The exporter read the partial success: 3 spans not stored, and why.
    expect(warnings.join("\n")).toMatch(/Partial Success.*"rejectedSpans":"?3"?/);
    expect(warnings.join("\n")).toMatch(/3 span\(s\) ignored: not MCP server spans/);

    const list = await get<{
      items: { sessionId: string; userId: string | null; toolCalls: number; errors: number }[];
    }>("/sessions?userId=alice");
    const mine = list.body.items.filter((s) => s.toolCalls === 2);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ userId: "alice", toolCalls: 2, errors: 2 });
    const replay = await get<SessionTimeline>(`/sessions/${mine[0]?.sessionId}`);
    expect(replay.body.session).toMatchObject({
      serverName: "weather-mcp",
      serverVersion: "2.1.0",
      stateless: false,
    });
    const events = replay.body.events;
    expect(events.map((e) => [e.eventType, e.resourceName, e.isError])).toEqual([
      ["mcp:initialize", null, false],
      ["mcp:tools/call", "get-weather", false],
      ["mcp:tools/call", "get-weather", true],
      ["mcp:resources/read", "file:///forecast.md", true],
    ]);
    expect(JSON.stringify(events)).not.toContain("sk-live-0tlp");
    const [, call, toolError, readError] = events;
    expect(call).toMatchObject({
      duration: 25,
      parameters: { name: "get-weather", arguments: { location: "Paris", api_key: REDACTED } },
      response: { content: [{ type: "text", text: "sunny" }] },
      userIntent: "plan a picnic",
      userId: "alice",
      traceId: toolTrace,
      sdkLanguage: "otlp",
    });
    expect(call?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(call?.timestamp).toBe(new Date(T0 + 1000).toISOString());
    expect(toolError?.error).toMatchObject({ message: "unknown city", type: "tool_error" });
    expect(readError?.error).toMatchObject({ message: "no such forecast", type: "RangeError" });
    expect(readError?.error?.stack).toContain("RangeError: no such forecast");

    // Exported again (an exporter retry): stored once.
    expect((await exportSpans(exporter, spans)).code).toBe(0);
    const again = await get<SessionTimeline>(`/sessions/${mine[0]?.sessionId}`);
    expect(again.body.events).toHaveLength(4);
  });

  it("groups spans without an MCP session id into one anonymous session per server instance", async () => {
    const tool = `stateless-${name.replace(/\W/g, "-")}`;
    const call = { "mcp.method.name": "tools/call", "gen_ai.tool.name": tool };
    const first = recordSpans((tracer) => {
      for (const at of [0, 1000, 2000]) serverSpan(tracer, `tools/call ${tool}`, call, at);
    });
    const other = recordSpans((tracer) => serverSpan(tracer, `tools/call ${tool}`, call, 500));
    expect((await exportSpans(exporter, first)).code).toBe(0);
    expect((await exportSpans(exporter, other)).code).toBe(0);
    const found = await get<{ items: { userId: string | null; toolCalls: number; stateless: boolean }[] }>(
      `/sessions?tool=${tool}&stateless=true&anonymous=true`,
    );
    expect(found.body.items.map((s) => s.toolCalls).sort()).toEqual([1, 3]);
    expect(found.body.items.every((s) => s.userId === null && s.stateless)).toBe(true);
  });
});

describe("POST /v1/traces", () => {
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };
  const post = (body: string | Buffer, headers: Record<string, string>) =>
    api(collector.url, "/v1/traces", { method: "POST", headers, body });
  const json = { "content-type": "application/json" };
  const request = (traceId: string, attributes: { key: string; value: Record<string, unknown> }[]) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "raw" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: "00f067aa0ba902b7",
                name: "tools/call raw",
                kind: 2,
                startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
                endTimeUnixNano: String(BigInt(T0 + 5) * 1_000_000n),
                attributes,
              },
            ],
          },
        ],
      },
    ],
  });

  beforeAll(async () => {
    collector = await startCollector(dir);
  });
  afterAll(async () => {
    await collector.close();
    removeDir(dir);
  });

  it("answers 404 for an unknown project before reading the body, and 400 without the header", async () => {
    const unknown = await post("not even json", { ...json, "x-mcpsight-project": "nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: "project_not_found" } });
    const missing = await post("{}", json);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      error: { code: "invalid_body", details: [{ field: "X-MCPSight-Project" }] },
    });
  });

  it("accepts gzip, refuses other media types and bodies that are not OTLP", async () => {
    const headers = { ...json, "x-mcpsight-project": collector.projectId };
    const body = request("4bf92f3577b34da6a3ce929d0e0e4736", [
      { key: "mcp.method.name", value: { stringValue: "tools/call" } },
      { key: "gen_ai.tool.name", value: { stringValue: "raw" } },
      { key: "mcp.session.id", value: { stringValue: "raw-session" } },
    ]);
    const zipped = await post(gzipSync(JSON.stringify(body)), { ...headers, "content-encoding": "gzip" });
    expect(zipped).toMatchObject({ status: 200, body: {} });
    const bad = await post("<xml/>", { ...headers, "content-type": "text/xml" });
    expect(bad).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    const notJson = await post("{", headers);
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: "invalid_body" } } });
    const notProto = await post(Buffer.from([0xff, 0xff, 0xff]), {
      ...headers,
      "content-type": "application/x-protobuf",
    });
    expect(notProto).toMatchObject({ status: 400, body: { error: { code: "invalid_body" } } });
    // Attribute values nested beyond any stack: a 400, not a collector failure.
    const depth = 100_000;
    const deep = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"leaf"}${"}]}}".repeat(depth)}`;
    const shallow = JSON.stringify(
      request("4bf92f3577b34da6a3ce929d0e0e4736", [{ key: "deep", value: { stringValue: "x" } }]),
    );
    const nested = await post(shallow.replace('{"stringValue":"x"}', deep), headers);
    expect(nested).toMatchObject({ status: 400, body: { error: { code: "invalid_body" } } });
  });

  it("rejects MCP spans without a valid trace id in the partial success, and stores the rest", async () => {
    const headers = { ...json, "x-mcpsight-project": collector.projectId };
    const attributes = [{ key: "mcp.method.name", value: { stringValue: "tools/call" } }];
    const zero = await post(JSON.stringify(request("0".repeat(32), attributes)), headers);
    expect(zero.body).toEqual({
      partialSuccess: {
        rejectedSpans: "1",
        errorMessage:
          "1 MCP server span(s) rejected: an invalid trace or span id, method or event, too old, or refused by the database",
      },
    });
  });
});
