import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { track } from "../src/index.js";
import { ofType, receivedEvents } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

describe("track() over an in-memory transport", () => {
  it("records initialize, tools/list and tool calls of a server whose tools are registered after track()", async () => {
    const { server, addTools } = v1Latest.mcpServer();
    track(server, "proj-basic", { apiBaseUrl: sink.url });
    addTools();
    const client = await v1Latest.connect(server);
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "get_more_tools"]));
    const echo = await client.callTool({ name: "echo", arguments: { text: "hi", context: "testing echo" } });
    expect(echo.content).toEqual([{ type: "text", text: "hi" }]);
    await client.close();

    const events = (await receivedEvents(sink)).filter((e) => e.projectId === "proj-basic");
    const types = events.map((e) => e.eventType);
    expect(types).toEqual(expect.arrayContaining(["mcp:initialize", "mcp:tools/list", "mcp:tools/call"]));
    const call = ofType(events, "mcp:tools/call")[0];
    expect(call).toMatchObject({
      resourceName: "echo",
      parameters: { name: "echo", arguments: { text: "hi" } },
      userIntent: "testing echo",
      clientName: "test-client",
      clientVersion: "9.9.9",
      serverName: "test-server",
      serverVersion: "1.2.3",
      sdkLanguage: "typescript",
    });
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
  });
});
