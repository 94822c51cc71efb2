// The `otel` option with the real OpenTelemetry JS SDK: an in-memory span exporter and metric
// reader record what a tracked McpServer emits for a real client over an in-memory transport.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { flush, type MCPSightOptions, track } from "../src/index.js";
import { receivedEvents, recordingLogger } from "./helpers/events.js";
import { connectHttpClient, startHttpHost } from "./helpers/http.js";
import { Sink } from "./helpers/sink.js";

const sink = new Sink();
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(async () => {
  await sink.start();
  // As the Node SDK does: the active span follows async calls, so a tool's spans nest under ours.
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await sink.stop();
});

/** A fresh tracer and meter provider per test, recording in memory. */
function telemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    /** Finished SERVER spans, once `count` have ended (spans end after identify and redaction). */
    async serverSpans(count: number): Promise<ReadableSpan[]> {
      await vi.waitFor(() => expect(spans.getFinishedSpans().filter(isServer).length).toBe(count));
      return spans.getFinishedSpans().filter(isServer);
    },
    allSpans: () => spans.getFinishedSpans(),
    async histogram(name: string) {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === name);
      return metric as
        | (typeof metric & {
            dataPoints: {
              attributes: Record<string, unknown>;
              value: { count: number; buckets: { boundaries: number[] } };
            }[];
          })
        | undefined;
    },
  };
}
const isServer = (span: ReadableSpan) => span.kind === SpanKind.SERVER;

const SECRET = "sk-live-0123456789abcdef";

/** A client transport over the two pipes of a server's real StdioServerTransport. */
function pipeClientTransport(toServer: PassThrough, fromServer: PassThrough): Transport {
  const buffer = new ReadBuffer();
  const transport: Transport = {
    async start() {
      fromServer.on("data", (chunk: Buffer) => {
        buffer.append(chunk);
        for (let message = buffer.readMessage(); message; message = buffer.readMessage())
          transport.onmessage?.(message);
      });
    },
    async send(message) {
      toServer.write(serializeMessage(message));
    },
    async close() {
      toServer.end();
      transport.onclose?.();
    },
  };
  return transport;
}

function trackedServer(project: string, options: MCPSightOptions) {
  const server = new McpServer({ name: "otel-server", version: "1.0.0" });
  server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
    // A span of the tool's own: it must be a child of the MCP server span.
    trace.getTracer("tool").startActiveSpan("db.query", (span) => span.end());
    return { content: [{ type: "text", text: String(a + b) }] };
  });
  server.registerTool(
    "login",
    { inputSchema: { user: z.string(), api_key: z.string() } },
    async ({ user }) => ({
      content: [
        { type: "text", text: `welcome ${user}` },
        { type: "text", text: `Bearer ${SECRET}` },
      ],
    }),
  );
  server.registerTool("broken", {}, async () => ({
    content: [{ type: "text", text: "no luck" }],
    isError: true,
  }));
  server.registerResource("note", "note://one", {}, async (uri) => ({
    contents: [{ uri: uri.href, text: "one" }],
  }));
  track(server, project, { apiBaseUrl: sink.url, ...options });
  return server;
}

async function connectedServer(project: string, options: MCPSightOptions) {
  const server = trackedServer(project, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: "otel-client", version: "2.0.0" });
  await client.connect(clientTransport);
  return { server, client };
}

describe("OpenTelemetry spans and metrics from track()", () => {
  it("names and attributes a tool call's SERVER span as the conventions say, with the user and intent", async () => {
    const t = telemetry();
    trace.setGlobalTracerProvider(t.tracerProvider);
    const { client } = await connectedServer("otel-attrs", {
      otel: { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider },
      identify: async () => ({ userId: "user-42", userName: "Ada" }),
    });
    const result = await client.callTool({
      name: "add",
      arguments: { a: 2, b: 3, context: "adding up a bill" },
    });
    expect(result.content).toEqual([{ type: "text", text: "5" }]);
    const spans = await t.serverSpans(2);
    const [initialize, call] = spans;
    expect(initialize?.name).toBe("initialize");
    expect(initialize?.attributes).toMatchObject({
      "mcp.method.name": "initialize",
      "jsonrpc.request.id": "0",
    });
    const sessionId = initialize?.attributes["mcp.session.id"];
    expect(sessionId).toMatch(/^ses_[0-9a-f]{32}$/);
    expect(call?.name).toBe("tools/call add");
    expect(call?.kind).toBe(SpanKind.SERVER);
    expect(call?.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "jsonrpc.request.id": "1",
      "mcp.session.id": sessionId,
      "mcp.protocol.version": initialize?.attributes["mcp.protocol.version"],
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "add",
      "enduser.id": "user-42",
      "mcpsight.intent": "adding up a bill",
    });
    expect(initialize?.attributes["mcp.protocol.version"]).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(call?.status.code).toBe(SpanStatusCode.UNSET);
    // The tool's own span is a child of the MCP span.
    const child = t.allSpans().find((s) => s.name === "db.query");
    expect(child?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    // The event of the call carries the span's trace and span id.
    await flush();
    const event = (await receivedEvents(sink)).find(
      (e) => e.projectId === "otel-attrs" && e.eventType === "mcp:tools/call",
    );
    expect(event).toMatchObject({ traceId: call?.spanContext().traceId, spanId: call?.spanContext().spanId });
    await client.close();
  });

  it("continues the client's trace from traceparent in params._meta", async () => {
    const t = telemetry();
    const { client } = await connectedServer("otel-parent", { otel: { tracerProvider: t.tracerProvider } });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await client.request(
      {
        method: "tools/call",
        params: {
          name: "add",
          arguments: { a: 1, b: 1 },
          _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      },
      CallToolResultSchema,
    );
    const [, call] = await t.serverSpans(2);
    expect(call?.spanContext().traceId).toBe(traceId);
    expect(call?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    await client.close();
  });

  it("records arguments and results only when asked, after redaction, and nothing secret anywhere", async () => {
    const off = telemetry();
    const quiet = await connectedServer("otel-content-off", { otel: { tracerProvider: off.tracerProvider } });
    await quiet.client.callTool({ name: "login", arguments: { user: "lovelace", api_key: SECRET } });
    const [, plain] = await off.serverSpans(2);
    expect(Object.keys(plain?.attributes ?? {})).not.toContain("gen_ai.tool.call.arguments");
    expect(Object.keys(plain?.attributes ?? {})).not.toContain("gen_ai.tool.call.result");
    await quiet.client.close();

    const on = telemetry();
    const loud = await connectedServer("otel-content-on", {
      otel: { tracerProvider: on.tracerProvider, captureContent: true },
      redactSensitiveInformation: (text) =>
        text.replaceAll("lovelace", "[name]").replaceAll(/sk-live-\w+/g, "[key]"),
    });
    await loud.client.callTool({
      name: "login",
      arguments: { user: "lovelace", api_key: SECRET, context: `logging in with ${SECRET}` },
    });
    const [, call] = await on.serverSpans(2);
    expect(JSON.parse(String(call?.attributes["gen_ai.tool.call.arguments"]))).toEqual({
      user: "[name]",
      api_key: "[REDACTED]",
    });
    expect(JSON.parse(String(call?.attributes["gen_ai.tool.call.result"]))).toEqual({
      content: [
        { type: "text", text: "welcome [name]" },
        { type: "text", text: "[REDACTED]" },
      ],
    });
    expect(call?.attributes["mcpsight.intent"]).toBe("logging in with [key]");
    const everything = JSON.stringify(on.allSpans().map((s) => [s.name, s.attributes, s.status, s.events]));
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain("lovelace");
    await loud.client.close();
  });

  it("marks tool error results and JSON-RPC errors as the conventions say", async () => {
    const t = telemetry();
    const { client } = await connectedServer("otel-errors", { otel: { tracerProvider: t.tracerProvider } });
    await client.callTool({ name: "broken", arguments: {} });
    await expect(client.readResource({ uri: "note://missing" })).rejects.toThrow();
    const [, broken, read] = await t.serverSpans(3);
    expect(broken?.attributes["error.type"]).toBe("tool_error");
    expect(broken?.status.code).toBe(SpanStatusCode.ERROR);
    expect(read?.name).toBe("resources/read");
    expect(read?.attributes).toMatchObject({
      "mcp.resource.uri": "note://missing",
      "error.type": "-32602",
      "rpc.response.status_code": "-32602",
    });
    expect(read?.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(read?.status.message).toMatch(/note:\/\/missing/);
    await client.close();
  });

  it("adds the transport's attributes over Streamable HTTP: session id, tcp, http, client address", async () => {
    const t = telemetry();
    const host = await startHttpHost("stateful", () =>
      trackedServer("otel-http", { otel: { tracerProvider: t.tracerProvider } }),
    );
    try {
      const client = await connectHttpClient(host.url, { "x-forwarded-for": "203.0.113.9, 10.0.0.1" });
      await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
      const [, call] = await t.serverSpans(2);
      expect(call?.attributes).toEqual({
        "mcp.method.name": "tools/call",
        "jsonrpc.request.id": "1",
        // Over HTTP the transport's own session id, as a client's MCP instrumentation records it.
        "mcp.session.id": client.transport?.sessionId,
        "mcp.protocol.version": expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "add",
        "network.transport": "tcp",
        "network.protocol.name": "http",
        "client.address": "203.0.113.9",
      });
      await client.close();
    } finally {
      await host.close();
    }
  });

  it("records network.transport pipe over stdio", async () => {
    const t = telemetry();
    const server = trackedServer("otel-stdio", { otel: { tracerProvider: t.tracerProvider } });
    const [toServer, fromServer] = [new PassThrough(), new PassThrough()];
    await server.connect(new StdioServerTransport(toServer, fromServer));
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    await client.connect(pipeClientTransport(toServer, fromServer));
    await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    const [, call] = await t.serverSpans(2);
    expect(call?.attributes["network.transport"]).toBe("pipe");
    await client.close();
    await server.close();
  });

  it("records no text when the host's redaction fails", async () => {
    const t = telemetry();
    const { client } = await connectedServer("otel-redact-fails", {
      otel: { tracerProvider: t.tracerProvider, captureContent: true },
      redactSensitiveInformation: () => {
        throw new Error("redaction is down");
      },
      logger: recordingLogger(),
    });
    await client.callTool({
      name: "login",
      arguments: { user: "lovelace", api_key: SECRET, context: "why" },
    });
    const [, call] = await t.serverSpans(2);
    const keys = Object.keys(call?.attributes ?? {});
    for (const key of ["gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "mcpsight.intent"])
      expect(keys).not.toContain(key);
    expect(JSON.stringify(call?.attributes)).not.toContain("lovelace");
    await client.close();
  });

  it("records mcp.server.operation.duration per operation and mcp.server.session.duration on close", async () => {
    const t = telemetry();
    const { client } = await connectedServer("otel-metrics", {
      otel: { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider },
    });
    await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    await client.callTool({ name: "add", arguments: { a: 3, b: 4 } });
    const operations = await t.histogram("mcp.server.operation.duration");
    expect(operations?.descriptor).toMatchObject({ unit: "s" });
    const addPoint = operations?.dataPoints.find((p) => p.attributes["gen_ai.tool.name"] === "add");
    expect(addPoint?.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "add",
      "mcp.protocol.version": expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
    });
    expect(addPoint?.value.count).toBe(2);
    expect(addPoint?.value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
    ]);
    expect(await t.histogram("mcp.server.session.duration")).toBeUndefined();
    await client.close();
    const sessions = await t.histogram("mcp.server.session.duration");
    expect(sessions?.dataPoints.map((p) => p.value.count)).toEqual([1]);
  });
});

describe("the built package and @opentelemetry/api", () => {
  const dist = new URL("../dist/", import.meta.url);

  it.each(["index.js", "index.cjs"])("%s loads the API lazily and records spans", async (file) => {
    const sdk = (
      file.endsWith(".cjs")
        ? createRequire(import.meta.url)(new URL(file, dist).pathname)
        : await import(new URL(file, dist).href)
    ) as typeof import("../src/index.js");
    const t = telemetry();
    const server = new McpServer({ name: "dist-server", version: "1.0.0" });
    server.registerTool("ping_me", {}, async () => ({ content: [{ type: "text", text: "pong" }] }));
    sdk.track(server, `otel-dist-${file}`, {
      apiBaseUrl: sink.url,
      otel: { tracerProvider: t.tracerProvider },
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = new Client({ name: "c", version: "1" });
    await client.connect(a);
    await client.callTool({ name: "ping_me", arguments: {} });
    expect((await t.serverSpans(2)).map((s) => s.name)).toEqual(["initialize", "tools/call ping_me"]);
    await client.close();
  });

  it("keeps working without @opentelemetry/api installed: one warning, no spans, tools answer", async () => {
    // The ESM build on its own, outside this repository's node_modules: the API cannot be found.
    const dir = mkdtempSync(join(tmpdir(), "mcpsight-no-otel-"));
    try {
      copyFileSync(new URL("index.js", dist), join(dir, "index.mjs"));
      const sdk = (await import(join(dir, "index.mjs"))) as typeof import("../src/index.js");
      const logger = recordingLogger();
      const server = new McpServer({ name: "no-otel", version: "1.0.0" });
      server.registerTool("ping_me", {}, async () => ({ content: [{ type: "text", text: "pong" }] }));
      sdk.track(server, "otel-missing", { apiBaseUrl: sink.url, otel: true, logger });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(b);
      const client = new Client({ name: "c", version: "1" });
      await client.connect(a);
      const result = await client.callTool({ name: "ping_me", arguments: {} });
      expect(result.content).toEqual([{ type: "text", text: "pong" }]);
      expect(logger.warnings).toEqual([expect.stringContaining("@opentelemetry/api is not installed")]);
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
