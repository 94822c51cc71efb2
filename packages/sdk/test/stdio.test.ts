import { fileURLToPath } from "node:url";
import { validateEvent } from "@mcpsight/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sink } from "./helpers/sink.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

describe("stdio", () => {
  it("tracks a child-process server whose stdout stays clean JSON-RPC", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/stdio-server.ts", import.meta.url));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--conditions", "@mcpsight/source", "--import", "tsx", fixture],
      env: { ...process.env, SINK_URL: sink.url, PROJECT_ID: "stdio-project" } as Record<string, string>,
      stderr: "pipe",
    });
    const stderr: string[] = [];
    transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    const transportErrors: Error[] = [];
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    client.onerror = (error) => transportErrors.push(error);
    await client.connect(transport);
    for (let i = 0; i < 3; i++) {
      const result = await client.callTool({
        name: "echo",
        arguments: { text: `n${i}`, context: "stdio test" },
      });
      expect(result.content).toEqual([{ type: "text", text: `n${i}` }]);
    }
    await client.close();

    // initialize, three calls and the identify event; the child flushes when its stdin closes.
    const events = (await sink.waitForEvents(5)).filter((e) => e.projectId === "stdio-project");
    expect(transportErrors).toEqual([]);
    expect(events.filter((e) => e.eventType === "mcp:tools/call")).toHaveLength(3);
    for (const event of events) {
      expect(validateEvent(event).ok).toBe(true);
      expect(event.sessionId).toBe(events[0]?.sessionId);
    }
    expect(
      events
        .filter((e) => e.eventType === "mcp:tools/call")
        .every((e) => e.identifyActorGivenId === "stdio-user"),
    ).toBe(true);
    expect(stderr.join("")).toMatch(/^\[mcpsight\] debug: delivered \d+ events/m);
    expect(stderr.join("")).not.toMatch(/^\[mcpsight\] \w+: mcpsight:/m);
  });
});
