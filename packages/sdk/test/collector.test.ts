// The SDK against this repository's real collector (in this process, SQLite in a temporary
// directory): a bad project id or a bad event never costs anyone else's events.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@mcpsight/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDelivery } from "../src/delivery/index.js";
import { flush, publishCustomEvent, track } from "../src/index.js";
import { makeEvent, recordingLogger } from "./helpers/delivery.js";
import { v1Latest } from "./helpers/v1.js";

const ADMIN_TOKEN = "msk_sdk_collector_test";
const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-sdk-collector-"));
let collector: RunningServer;
let projectId: string;

beforeAll(async () => {
  collector = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    retentionDays: 90,
    adminToken: ADMIN_TOKEN,
    dashboardDir: null,
    logLevel: "silent",
  });
  const [project] = await collector.storage.listProjects();
  if (!project) throw new Error("the collector created no default project");
  projectId = project.id;
});

afterAll(async () => {
  await collector.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Calls per tool the collector stored for the project, once it has derived all it accepted. */
async function toolCalls(): Promise<Record<string, number>> {
  await collector.storage.waitForDerivation();
  const response = await fetch(`${collector.url}/api/v1/projects/${projectId}/tools`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await response.json()) as { items: { name: string; calls: number }[] };
  return Object.fromEntries(body.items.map((item) => [item.name, item.calls]));
}

/** A tracked McpServer whose `echo` tool is renamed, so each test counts its own calls. */
async function trackedClient(project: string, tool: string, logger = recordingLogger()) {
  const { server } = v1Latest.mcpServer();
  (server as { registerTool: (...args: unknown[]) => void }).registerTool(tool, {}, async () => ({
    content: [{ type: "text", text: "ok" }],
  }));
  track(server, project, { apiBaseUrl: collector.url, logger });
  return { server, client: await v1Latest.connect(server), logger };
}

describe("one process, two projects", () => {
  it("a mistyped project id does not cost the valid project's events", async () => {
    const logger = recordingLogger();
    const valid = await trackedClient(projectId, "mixed_valid", logger);
    const typo = await trackedClient("proj_typo_does_not_exist", "mixed_typo", logger);
    for (let i = 0; i < 5; i++) {
      await valid.client.callTool({ name: "mixed_valid", arguments: {} });
      await typo.client.callTool({ name: "mixed_typo", arguments: {} });
    }
    await flush();
    await valid.client.close();
    await typo.client.close();

    expect((await toolCalls()).mixed_valid).toBe(5);
    const warnings = logger.lines.filter((line) => line.level === "warn").map((line) => line.message);
    const typoWarnings = warnings.filter((message) => message.includes("proj_typo_does_not_exist"));
    expect(typoWarnings).toHaveLength(1);
    expect(typoWarnings[0]).toMatch(/mcpsight project (create|list)/);
  });

  it("publishCustomEvent with an empty project id does not cost the next valid event", async () => {
    // Custom events of a project no server is tracked for go to MCPSIGHT_URL: this collector.
    process.env.MCPSIGHT_URL = collector.url;
    try {
      const { client } = await trackedClient(projectId, "after_empty_project");
      await publishCustomEvent("s", "", { resourceName: "nowhere" });
      await client.callTool({ name: "after_empty_project", arguments: {} });
      await flush();
      await client.close();
      expect((await toolCalls()).after_empty_project).toBe(1);
    } finally {
      delete process.env.MCPSIGHT_URL;
    }
  });
});

describe("per-event refusals (the collector's side of the batch contract)", () => {
  it("stores the valid events of a batch and the SDK counts the refused ones", async () => {
    const logger = recordingLogger();
    const delivery = createDelivery({
      endpoint: collector.url,
      maxQueueSize: 1000,
      maxBatchSize: 1000,
      flushIntervalMs: 60_000,
      maxConcurrency: 1,
      logger,
      sdkHeader: "typescript/0.0.0-test",
    });
    const valid = (i: number) => makeEvent(i, { projectId, resourceName: "refusal_neighbour" });
    delivery.enqueue(valid(0));
    delivery.enqueue(
      makeEvent(1, { projectId, resourceName: "refusal_neighbour", timestamp: "2026-13-01T00:00:00Z" }),
    );
    delivery.enqueue(valid(2));
    await delivery.flush();
    await delivery.shutdown();

    expect((await toolCalls()).refusal_neighbour).toBe(2);
    expect(delivery.stats()).toMatchObject({ sent: 2, rejected: 1, dropped: 0 });
    expect(logger.lines.filter((line) => line.level === "warn").map((line) => line.message)).toEqual([
      expect.stringMatching(/invalid_event.*timestamp/),
    ]);
  });
});
