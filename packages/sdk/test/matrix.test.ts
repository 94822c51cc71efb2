// The same core scenario against every supported MCP SDK version, McpServer and low-level Server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { track } from "../src/index.js";
import { ofType, receivedEvents } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1_11, v1_24, v1Latest } from "./helpers/v1.js";
import { v2 } from "./helpers/v2.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

const variants = [v1Latest, v1_24, v1_11, v2];
let counter = 0;

describe.each(variants)("$name", (variant) => {
  it.each(["mcpServer", "lowLevelServer"] as const)(
    "%s: tools before and after track(), identity, errors",
    async (kind) => {
      const projectId = `matrix-${counter++}`;
      const identifyCalls: unknown[] = [];
      // Half the servers get their tools before track(), half after.
      const testServer = variant[kind]();
      const before = counter % 2 === 0;
      if (before) testServer.addTools();
      const tracked = track(testServer.server, projectId, {
        apiBaseUrl: sink.url,
        identify: (request) => {
          identifyCalls.push(request);
          return { userId: "user-1", userName: "Ada" };
        },
      });
      expect(tracked).toBe(testServer.server);
      if (!before) testServer.addTools();
      const client = await variant.connect(testServer.server);

      const tools = await client.listTools();
      const echoTool = tools.tools.find((t) => t.name === "echo");
      expect(echoTool?.inputSchema.properties).toHaveProperty("context");
      expect(tools.tools.map((t) => t.name)).toContain("get_more_tools");

      const echo = await client.callTool({
        name: "echo",
        arguments: { text: "hello", context: "greeting the user" },
      });
      expect(JSON.stringify(echo.content)).toContain("hello");
      expect(JSON.stringify(echo.content)).not.toContain("greeting");
      // McpServer turns the throw into an isError result; a low-level server's client sees the error.
      await client
        .callTool({ name: "fail", arguments: { context: "trying" } })
        .catch((error: unknown) => error);
      await client.callTool({ name: "echo", arguments: { text: "again", context: "second" } });
      const report = await client.callTool({
        name: "get_more_tools",
        arguments: { context: "need a calendar tool" },
      });
      expect(JSON.stringify(report.content)).toContain("full tool list");
      await client.close();

      const events = (await receivedEvents(sink)).filter((e) => e.projectId === projectId);
      const calls = ofType(events, "mcp:tools/call");
      expect(calls.length).toBe(4);
      expect(identifyCalls.length).toBe(1);
      for (const call of calls) expect(call.identifyActorGivenId).toBe("user-1");
      expect(ofType(events, "mcpsight:identify")).toHaveLength(1);
      expect(ofType(events, "mcp:initialize")).toHaveLength(1);
      expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
      // Batches may arrive in any order: find the event by what it recorded.
      const echoEvent = calls.find(
        (e) =>
          e.resourceName === "echo" &&
          e.parameters !== undefined &&
          JSON.stringify(e.parameters).includes("hello"),
      );
      expect(echoEvent).toMatchObject({
        userIntent: "greeting the user",
        clientName: "test-client",
        serverName: "test-server",
      });
      const failEvent = calls.find((e) => e.resourceName === "fail");
      expect(failEvent?.isError).toBe(true);
      expect(failEvent?.error?.message).toContain("boom");
      const reportEvent = calls.find((e) => e.resourceName === "get_more_tools");
      expect(reportEvent?.userIntent).toBe("need a calendar tool");
    },
  );
});
