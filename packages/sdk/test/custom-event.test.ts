// publishCustomEvent: what is recorded for its error fields, and an invalid project id that must
// not cost anyone else's events.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { publishCustomEvent, track } from "../src/index.js";
import { ContractCollector } from "./helpers/contract-collector.js";
import { ofType, receivedEvents, recordingLogger } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1Latest } from "./helpers/v1.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;

/** A tracked server with one client call made, so custom events have a session. */
async function trackedServer(apiBaseUrl: string, projectId: string, logger = recordingLogger()) {
  const { server, addTools } = v1Latest.mcpServer();
  track(server, projectId, { apiBaseUrl, logger });
  addTools();
  const client = await v1Latest.connect(server);
  await client.callTool({ name: "echo", arguments: { text: "hi" } });
  return { server, client, logger };
}

describe("custom event errors", () => {
  it.each([
    ["isError false, error null: no error", { isError: false, error: null }, { isError: false }],
    ["error null alone: no error", { error: null }, {}],
    ["isError false wins over an error", { isError: false, error: new Error("ignored") }, { isError: false }],
    [
      "MCPcat's documented shape: the code is the type",
      { isError: true, error: { message: "Custom error occurred", code: "ERR_001" } },
      { isError: true, error: { message: "Custom error occurred", type: "ERR_001" } },
    ],
    [
      "an object's own type is kept",
      { error: { message: "bad input", type: "ValidationError" } },
      { isError: true, error: { message: "bad input", type: "ValidationError" } },
    ],
    [
      "type and code together",
      { error: { message: "bad input", type: "ValidationError", code: 422 } },
      { isError: true, error: { message: "bad input", type: "ValidationError [422]" } },
    ],
    [
      "a code without a message",
      { isError: true, error: { code: "E_ONLY" } },
      { isError: true, error: { message: '{"code":"E_ONLY"}', type: "E_ONLY" } },
    ],
    [
      "an Error's code is kept beside its class, as Node prints it",
      { error: Object.assign(new Error("no such file"), { code: "ENOENT" }) },
      { isError: true, error: { message: "no such file", type: "Error [ENOENT]" } },
    ],
    ["a string", { error: "went wrong" }, { isError: true, error: { message: "went wrong" } }],
  ])("%s", async (_name, data, expected) => {
    const projectId = `custom-${counter++}`;
    const { server, client } = await trackedServer(sink.url, projectId);
    await publishCustomEvent(server, projectId, { resourceName: "checkout", ...data });
    await client.close();
    const [event] = ofType(await receivedEvents(sink), "mcpsight:custom").filter(
      (e) => e.projectId === projectId,
    );
    const { stack, ...error } = event?.error ?? { stack: undefined };
    expect({ isError: event?.isError, ...(event?.error ? { error } : {}) }).toEqual({
      isError: undefined,
      ...expected,
    });
    if (data.error instanceof Error && event?.error) expect(stack).toMatch(/^Error: no such file\n\s+at /);
  });
});

describe("custom event fields", () => {
  it("cuts a long resource name and leaves out a duration that is not a finite number", async () => {
    const projectId = `custom-${counter++}`;
    const { server, client } = await trackedServer(sink.url, projectId);
    await publishCustomEvent(server, projectId, { resourceName: "n".repeat(600), duration: Infinity });
    await client.close();
    // receivedEvents checks every event against the protocol: a null duration would fail here.
    const [event] = ofType(await receivedEvents(sink), "mcpsight:custom").filter(
      (e) => e.projectId === projectId,
    );
    expect(event?.resourceName).toHaveLength(512);
    expect(event?.resourceName).toMatch(/…\[truncated \d+ chars\]$/);
    expect(event?.duration).toBeUndefined();
  });
});

describe("an invalid project id", () => {
  it.each([
    ["empty", ""],
    ["too long", "p".repeat(129)],
  ])("(%s) is refused with a warning, and the next valid event is delivered", async (_name, bad) => {
    const collector = await new ContractCollector(new Set(["proj_valid"])).start();
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const { server, client, logger } = await trackedServer(collector.url, "proj_valid");
      await publishCustomEvent("s", bad, { resourceName: "lost" });
      const written = stderr.mock.calls.map(([chunk]) => String(chunk));
      expect(written.filter((line) => /publishCustomEvent.*projectId/.test(line))).toHaveLength(1);
      await publishCustomEvent(server, "proj_valid", { resourceName: "kept" });
      await client.close();
      await receivedEvents(sink);
      const custom = ofType(collector.eventsOf("proj_valid"), "mcpsight:custom");
      expect(custom.map((event) => event.resourceName)).toEqual(["kept"]);
      expect(collector.requests.every((request) => request.status === 200)).toBe(true);
      expect(logger.warnings).toEqual([]);
    } finally {
      stderr.mockRestore();
      await collector.stop();
    }
  });
});
