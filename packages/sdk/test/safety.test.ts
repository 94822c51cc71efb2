// The SDK never breaks the host: errors propagate unchanged, secrets never leave, odd input is harmless.

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { flush, type MCPSightOptions, publishCustomEvent, track } from "../src/index.js";
import { ofType, rawReceived, receivedEvents, recordingLogger } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;
const newProject = () => `safety-${counter++}`;
const eventsOf = async (projectId: string) =>
  (await receivedEvents(sink)).filter((e) => e.projectId === projectId);

function lowLevel(projectId: string, options: MCPSightOptions, error: Error): Server {
  const server = new Server({ name: "low", version: "1" }, { capabilities: { tools: {} } });
  track(server, projectId, { apiBaseUrl: sink.url, ...options });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [{ name: "login", inputSchema: { type: "object", properties: { password: { type: "string" } } } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    if (request.params.name === "explode") throw error;
    return {
      content: [
        { type: "text", text: "ok" },
        { type: "image", data: "iVBORw0KGgo".repeat(50), mimeType: "image/png" },
      ],
      structuredContent: {
        session_token: "RESULT-SECRET-123",
        headers: { Authorization: "Bearer HEADER-SECRET-1" },
      },
    };
  });
  return server;
}

describe("errors", () => {
  it("a thrown tool error reaches the client exactly as without tracking", async () => {
    const run = async (tracked: boolean) => {
      const error = new McpError(-32042, "custom failure", { detail: 1 });
      const server = tracked
        ? lowLevel(newProject(), {}, error)
        : (() => {
            const s = new Server({ name: "low", version: "1" }, { capabilities: { tools: {} } });
            s.setRequestHandler(CallToolRequestSchema, async () => {
              throw error;
            });
            return s;
          })();
      const client = await v1Latest.connect(server);
      const caught = await client.callTool({ name: "explode", arguments: {} }).catch((e: unknown) => e);
      await client.close();
      return caught as { code: number; message: string; data: unknown };
    };
    const plain = await run(false);
    const tracked = await run(true);
    expect({ code: tracked.code, message: tracked.message, data: tracked.data }).toEqual({
      code: plain.code,
      message: plain.message,
      data: plain.data,
    });
    expect(tracked.code).toBe(-32042);
  });

  it("records thrown errors with type and stack, and isError results", async () => {
    const projectId = newProject();
    const server = lowLevel(projectId, {}, new TypeError("bad input"));
    const client = await v1Latest.connect(server);
    await client.callTool({ name: "explode", arguments: {} }).catch(() => undefined);
    await client.close();
    const [event] = ofType(await eventsOf(projectId), "mcp:tools/call");
    expect(event).toMatchObject({ isError: true, error: { type: "TypeError", message: "bad input" } });
    expect(event?.error?.stack).toContain("bad input");
  });
});

describe("privacy", () => {
  it("secrets in arguments, results and headers never reach the collector; binary content is replaced", async () => {
    const projectId = newProject();
    const server = lowLevel(
      projectId,
      { redactSensitiveInformation: (text) => text.replaceAll("ssn 123-45", "ssn [x]") },
      new Error(),
    );
    const client = await v1Latest.connect(server);
    await client.callTool({
      name: "login",
      arguments: {
        password: "ARG-SECRET-1",
        api_key: "ARG-SECRET-2",
        nested: { apiKey: "ARG-SECRET-3" },
        note: "ssn 123-45",
      },
    });
    await client.close();
    const [event] = ofType(await eventsOf(projectId), "mcp:tools/call");
    expect(event?.parameters).toMatchObject({ arguments: { password: "[REDACTED]", note: "ssn [x]" } });
    const raw = rawReceived(sink);
    for (const secret of ["ARG-SECRET", "RESULT-SECRET", "HEADER-SECRET", "ssn 123-45", "iVBORw0KGgo"]) {
      expect(raw).not.toContain(secret);
    }
  });

  it("an event whose redaction fails is dropped, never sent unredacted", async () => {
    const projectId = newProject();
    const logger = recordingLogger();
    const server = lowLevel(
      projectId,
      {
        logger,
        redactSensitiveInformation: (text) => {
          if (text.includes("UNREDACTABLE")) throw new Error("redactor broke");
          return text;
        },
      },
      new Error(),
    );
    const client = await v1Latest.connect(server);
    await client.callTool({ name: "login", arguments: { note: "UNREDACTABLE" } });
    await client.close();
    expect(rawReceived(sink)).not.toContain("UNREDACTABLE");
    expect(ofType(await eventsOf(projectId), "mcp:tools/call")).toHaveLength(0);
    expect(logger.warnings.some((w) => w.includes("dropped"))).toBe(true);
  });

  it("an event whose redaction never settles is dropped after the timeout, and flush does not wait for it", async () => {
    const projectId = newProject();
    const logger = recordingLogger();
    const server = lowLevel(
      projectId,
      { logger, identifyTimeoutMs: 50, redactSensitiveInformation: () => new Promise<string>(() => {}) },
      new Error(),
    );
    const client = await v1Latest.connect(server);
    const result = await client.callTool({ name: "login", arguments: { note: "HELD-BY-REDACTOR" } });
    expect(result.content).toBeDefined();
    await client.close();
    await flush(60_000);
    expect(rawReceived(sink)).not.toContain("HELD-BY-REDACTOR");
    expect(ofType(await eventsOf(projectId), "mcp:tools/call")).toHaveLength(0);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/redactSensitiveInformation timed out after 50 ms.*dropped/);
  });
});

describe("track()", () => {
  it("is harmless when called twice: same server, one event per request", async () => {
    const projectId = newProject();
    const server = new McpServer({ name: "twice", version: "1" });
    server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    expect(track(server, projectId, { apiBaseUrl: sink.url })).toBe(server);
    expect(track(server, projectId, { apiBaseUrl: sink.url })).toBe(server);
    const client = await v1Latest.connect(server);
    await client.callTool({ name: "echo", arguments: { text: "x" } });
    await client.close();
    expect(ofType(await eventsOf(projectId), "mcp:tools/call")).toHaveLength(1);
  });

  it.each([{}, null, "server", { server: {} }])(
    "returns an unsupported object (%s) untouched with one clear error",
    (value) => {
      const logger = recordingLogger();
      const copy = JSON.stringify(value);
      expect(track(value, "p", { logger })).toBe(value);
      expect(JSON.stringify(value)).toBe(copy);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toMatch(/McpServer|MCP server/);
    },
  );

  it("leaves a server untracked, with one error naming the setting, when the collector URL is no URL", async () => {
    const saved = process.env.MCPSIGHT_URL;
    try {
      for (const [options, env, from] of [
        [{ apiBaseUrl: "not a url" }, undefined, "apiBaseUrl"],
        [{ apiBaseUrl: "ftp://127.0.0.1:4747" }, undefined, "apiBaseUrl"],
        [{}, "127.0.0.1:4747", "MCPSIGHT_URL"],
      ] as const) {
        if (env === undefined) delete process.env.MCPSIGHT_URL;
        else process.env.MCPSIGHT_URL = env;
        const logger = recordingLogger();
        const server = new McpServer({ name: "bad-url", version: "1" });
        expect(track(server, newProject(), { ...options, logger })).toBe(server);
        expect(logger.warnings).toHaveLength(1);
        expect(logger.warnings[0]).toContain(`track(): ${from} must be the collector's http(s) URL`);
        // Not tracked: tracking it now (with a good URL) takes.
        expect(track(server, newProject(), { apiBaseUrl: sink.url, logger })).toBe(server);
        expect(logger.warnings).toHaveLength(1);
      }
    } finally {
      if (saved === undefined) delete process.env.MCPSIGHT_URL;
      else process.env.MCPSIGHT_URL = saved;
    }
  });

  it("trims spaces around a collector URL from the environment", async () => {
    const saved = process.env.MCPSIGHT_URL;
    process.env.MCPSIGHT_URL = ` ${sink.url} `;
    try {
      const projectId = newProject();
      const server = new McpServer({ name: "spaced-url", version: "1" });
      server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
        content: [{ type: "text", text }],
      }));
      track(server, projectId);
      const client = await v1Latest.connect(server);
      await client.callTool({ name: "echo", arguments: { text: "x" } });
      await client.close();
      await flush();
      expect(ofType(await eventsOf(projectId), "mcp:tools/call")).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.MCPSIGHT_URL;
      else process.env.MCPSIGHT_URL = saved;
    }
  });

  it("adds eventTags/eventProperties, drops invalid tags with a warning, and sends custom events", async () => {
    const projectId = newProject();
    const logger = recordingLogger();
    const server = new McpServer({ name: "tags", version: "1" });
    server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    track(server, projectId, {
      apiBaseUrl: sink.url,
      logger,
      eventTags: () => ({ env: "test", "bad\nkey": "x" }),
      eventProperties: () => ({ flags: ["a"] }),
    });
    const client = await v1Latest.connect(server);
    await client.callTool({ name: "echo", arguments: { text: "x" } });
    await publishCustomEvent(server, projectId, { resourceName: "feedback", parameters: { rating: 5 } });
    await client.close();
    const events = await eventsOf(projectId);
    expect(ofType(events, "mcp:tools/call")[0]).toMatchObject({
      tags: { env: "test" },
      properties: { flags: ["a"] },
    });
    const [custom] = ofType(events, "mcpsight:custom");
    expect(custom).toMatchObject({ resourceName: "feedback", parameters: { rating: 5 } });
    expect(custom?.sessionId).toBe(ofType(events, "mcp:tools/call")[0]?.sessionId);
    expect(logger.warnings).toHaveLength(1);
  });
});
