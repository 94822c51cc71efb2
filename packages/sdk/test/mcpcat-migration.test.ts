// What a user switching from the `mcpcat` package notices, one test per difference listed in
// docs/SDK.md ("Coming from MCPcat"). MCPcat 0.1.17's behaviour is given in each test's comment.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type MCPSightOptions, publishCustomEvent, track } from "../src/index.js";
import { ofType, receivedEvents, recordingLogger } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;
const newProject = () => `migration-${counter++}`;
const eventsOf = async (projectId: string) =>
  (await receivedEvents(sink)).filter((event) => event.projectId === projectId);

const PNG = "iVBORw0KGgo".repeat(200);

/** A tracked server whose `echo` returns the text and an image, connected to a client in memory. */
async function connected(projectId: string, options: MCPSightOptions) {
  const server = new McpServer({ name: "migration", version: "1.0.0" });
  server.registerTool(
    "echo",
    {
      inputSchema: { text: z.string(), password: z.string().optional(), session_name: z.string().optional() },
    },
    async ({ text }) => ({
      content: [
        { type: "text" as const, text },
        { type: "image" as const, data: PNG, mimeType: "image/png" },
      ],
    }),
  );
  track(server, projectId, { apiBaseUrl: sink.url, ...options });
  return v1Latest.connect(server);
}

describe("coming from MCPcat", () => {
  it("identify runs once per stateful session, on its first tool call: not on initialize, tools/list or later calls", async () => {
    // MCPcat awaits identify before initialize, tools/list and every tools/call.
    const projectId = newProject();
    const methods: string[] = [];
    const client = await connected(projectId, {
      identify: (request) => {
        methods.push(request.method);
        return { userId: "ada" };
      },
    });
    await client.listTools();
    for (const text of ["one", "two", "three"]) {
      await client.callTool({ name: "echo", arguments: { text, context: "testing" } });
    }
    await client.close();
    expect(methods).toEqual(["tools/call"]);
    const events = await eventsOf(projectId);
    expect(ofType(events, "mcp:tools/call").every((e) => e.identifyActorGivenId === "ada")).toBe(true);
  });

  it("scrubs secrets by key and runs the redaction on properties and userData too", async () => {
    // MCPcat scrubs nothing by itself, and leaves properties, tags and identify data to the
    // redaction function untouched.
    const projectId = newProject();
    const client = await connected(projectId, {
      identify: () => ({
        userId: "ada",
        userName: "SECRET Ada",
        userData: { token: "tok-1", note: "SECRET plan" },
      }),
      eventProperties: () => ({ apiKey: "sk-live-123", note: "contains SECRET" }),
      eventTags: () => ({ env: "SECRET-env" }),
      redactSensitiveInformation: (text) => text.replaceAll("SECRET", "[x]"),
    });
    await client.callTool({
      name: "echo",
      arguments: { text: "hi SECRET", password: "hunter2", session_name: "standup", context: "testing" },
    });
    await client.close();
    const [call] = ofType(await eventsOf(projectId), "mcp:tools/call");
    expect(call?.parameters).toEqual({
      name: "echo",
      arguments: { text: "hi [x]", password: "[REDACTED]", session_name: "[REDACTED]" },
    });
    expect(call?.properties).toEqual({ apiKey: "[REDACTED]", note: "contains [x]" });
    expect(call?.identifyActorData).toEqual({ token: "[REDACTED]", note: "[x] plan" });
    // Names, ids and tags are not content: the redaction function does not see them.
    expect(call?.identifyActorName).toBe("SECRET Ada");
    expect(call?.tags).toEqual({ env: "SECRET-env" });
  });

  it("records the request params, not MCPcat's { request, extra } (no headers, no auth info)", async () => {
    const projectId = newProject();
    const client = await connected(projectId, {});
    await client.callTool({ name: "echo", arguments: { text: "hi", context: "testing" } });
    await client.close();
    const [call] = ofType(await eventsOf(projectId), "mcp:tools/call");
    expect(call?.parameters).toEqual({ name: "echo", arguments: { text: "hi" } });
    expect(call?.userIntent).toBe("testing");
  });

  it("keeps content blocks and replaces only binary payloads with placeholders; truncation says how much was cut", async () => {
    // MCPcat replaces a whole image block with a text block ("[image content redacted - not
    // supported by MCPcat]") and cuts strings with "..." (intent at 2,048 characters).
    const projectId = newProject();
    const client = await connected(projectId, {});
    const prose = "Lorem ipsum dolor. ".repeat(2000); // 38,000 characters
    const intent = "why ".repeat(1500); // 6,000 characters
    await client.callTool({ name: "echo", arguments: { text: prose, context: intent } });
    await client.close();
    const [call] = ofType(await eventsOf(projectId), "mcp:tools/call");
    const content =
      (call?.response as { content?: { type: string; text?: string; data?: string }[] })?.content ?? [];
    expect(content[1]).toEqual({
      type: "image",
      data: `[image omitted, ${PNG.length} chars]`,
      mimeType: "image/png",
    });
    const text = content[0]?.text ?? "";
    expect(text).toHaveLength(32_768);
    expect(text.endsWith(`…[truncated ${prose.length - 32_768} chars]`)).toBe(true);
    expect(call?.userIntent).toHaveLength(4096);
    expect(call?.userIntent).toMatch(/…\[truncated \d+ chars\]$/);
  });

  it("drops an event whose redaction returns something other than a string", async () => {
    // MCPcat drops the event only when the function throws; a non-string return is sent as it is.
    const projectId = newProject();
    const logger = recordingLogger();
    const client = await connected(projectId, {
      logger,
      redactSensitiveInformation: (text) => (text.includes("ODD") ? (null as unknown as string) : text),
    });
    await client.callTool({ name: "echo", arguments: { text: "ODD one", context: "testing" } });
    await client.callTool({ name: "echo", arguments: { text: "plain", context: "testing" } });
    await client.close();
    const calls = ofType(await eventsOf(projectId), "mcp:tools/call");
    expect(calls.map((e) => (e.parameters as { arguments: { text: string } }).arguments.text)).toEqual([
      "plain",
    ]);
    expect(logger.warnings.some((w) => w.includes("dropped"))).toBe(true);
  });

  it("describes the context argument in its own words unless customContextDescription says otherwise", async () => {
    // MCPcat's text asks for "15-25 words (count carefully)".
    const described = async (options: MCPSightOptions) => {
      const client = await connected(newProject(), options);
      const { tools } = await client.listTools();
      await client.close();
      const echo = tools.find((tool) => tool.name === "echo");
      const properties = echo?.inputSchema.properties as Record<string, { description?: string }> | undefined;
      return properties?.context?.description;
    };
    expect(await described({})).toMatch(/^Explain why you are calling this tool/);
    expect(await described({})).not.toMatch(/15-25 words/);
    expect(await described({ customContextDescription: "Why, in 15-25 words." })).toBe(
      "Why, in 15-25 words.",
    );
  });

  it("publishCustomEvent never rejects: a call it cannot record is logged and dropped", async () => {
    // MCPcat rejects for an untracked server, an empty projectId or a first argument that is
    // neither a server nor a session id.
    for (const target of [new McpServer({ name: "untracked", version: "1" }), 42, null]) {
      await expect(publishCustomEvent(target, "proj_x", { resourceName: "x" })).resolves.toBeUndefined();
    }
  });

  it("installs no signal handlers: call shutdown() from your own SIGTERM handler", async () => {
    // MCPcat registers SIGINT and SIGTERM handlers that flush its queue.
    const before = { SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") };
    const projectId = newProject();
    const logger = recordingLogger();
    const client = await connected(projectId, { logger });
    await client.callTool({ name: "echo", arguments: { text: "hi", context: "testing" } });
    await client.close();
    await eventsOf(projectId);
    expect({ SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") }).toEqual(
      before,
    );
  });
});
