import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { track } from "../src/index.js";
import { ofType, receivedEvents } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

describe("a client calling in a tight loop (in memory, no event-loop turn between calls)", () => {
  it("keeps at most maxQueueSize events, delivers the newest and reports every drop", async () => {
    const { server, addTools } = v1Latest.mcpServer();
    track(server, "proj-burst", { apiBaseUrl: sink.url, maxQueueSize: 100 });
    addTools();
    const client = await v1Latest.connect(server);
    const calls = 1000;
    for (let i = 0; i < calls; i++) await client.callTool({ name: "echo", arguments: { text: `call ${i}` } });
    await client.close();

    const events = (await receivedEvents(sink)).filter((e) => e.projectId === "proj-burst");
    const reported = sink.batches.reduce((sum, batch) => sum + (batch.body.droppedEvents ?? 0), 0);
    const toolCalls = ofType(events, "mcp:tools/call");
    expect(toolCalls.length).toBeGreaterThan(0);
    expect(toolCalls.length).toBeLessThanOrEqual(100);
    expect(toolCalls.at(-1)?.parameters).toMatchObject({ arguments: { text: `call ${calls - 1}` } });
    // initialize and every call either arrived or was counted as dropped.
    expect(events.length + reported).toBe(calls + 1);
  });
});
