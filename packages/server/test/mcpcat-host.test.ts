import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { ADMIN_TOKEN, api, removeDir, startCollector, tempDir } from "./helpers.js";

const HOST = fileURLToPath(new URL("./mcpcat-host.ts", import.meta.url));
const MODES = ["anonymous", "null-identify", "identified"] as const;
/** mcpcat retries a refused event after 1, 2 and 4 s, then its unhandled rejection ends the host. */
const MCPCAT_GIVES_UP_MS = 8_000;

type Event = {
  eventType: string;
  resourceName: string | null;
  userId: string | null;
  error: { message: string; type: string | null; stack: string | null } | null;
  tags: Record<string, string> | null;
  properties: Record<string, unknown> | null;
  userIntent: string | null;
};
type Timeline = { session: { userId: string | null }; events: Event[] };

interface Host {
  mode: (typeof MODES)[number];
  client: Client;
  transport: StdioClientTransport;
  home: string;
  exited: boolean;
}

/** Starts the host server as a child process and drives it with a real MCP client over stdio. */
async function runHost(collector: RunningServer & { projectId: string }, mode: Host["mode"]): Promise<Host> {
  const home = tempDir();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", HOST, collector.url, collector.projectId, mode],
    env: { HOME: home, PATH: process.env.PATH ?? "" },
    stderr: "pipe",
  });
  const client = new Client({ name: `cat-client-${mode}`, version: "2.0.0" });
  const host: Host = { mode, client, transport, home, exited: false };
  client.onclose = () => {
    host.exited = true;
  };
  await client.connect(transport);
  await client.listTools();
  await client.callTool({ name: "forecast", arguments: { city: "Oslo", context: "plan a trip" } });
  await client.callTool({ name: "fail", arguments: { context: "check the failure" } });
  await client.callTool({ name: "soft_fail", arguments: { context: "check the soft failure" } });
  await client.callTool({ name: "report", arguments: { context: "export" } });
  await client.callTool({ name: "get_more_tools", arguments: { context: "weather alerts for a region" } });
  return host;
}

describe.each(BACKENDS)("the unmodified mcpcat package in a stdio server ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let collector: RunningServer & { projectId: string };
  const hosts: Host[] = [];

  beforeAll(async () => {
    database = await backend.create();
    collector = await startCollector(dir, database.url);
  });
  afterAll(async () => {
    for (const host of hosts) {
      await host.client.close();
      removeDir(host.home);
    }
    await collector.close();
    await database.drop();
    removeDir(dir);
  });

  it("stores everything mcpcat sends, anonymous or identified, and the host keeps running", {
    timeout: 60_000,
  }, async () => {
    hosts.push(...(await Promise.all(MODES.map((mode) => runHost(collector, mode)))));
    const path = `/api/v1/projects/${collector.projectId}`;
    const timelines = async (): Promise<Timeline[]> => {
      const list = await api<{ items: { sessionId: string }[] }>(
        collector.url,
        `${path}/sessions?limit=200`,
        {
          token: ADMIN_TOKEN,
        },
      );
      return Promise.all(
        list.body.items.map(
          async (s) =>
            (
              await api<Timeline>(
                collector.url,
                `${path}/sessions/${encodeURIComponent(s.sessionId)}?limit=200`,
                {
                  token: ADMIN_TOKEN,
                },
              )
            ).body,
        ),
      );
    };
    // Per host: initialize, tools/list, five tool calls, two custom events; plus identify.
    const expected = 3 * 9 + 1;
    let stored: Timeline[] = [];
    for (;;) {
      stored = await timelines();
      if (stored.reduce((n, t) => n + t.events.length, 0) >= expected) break;
      if (hosts.some((host) => host.exited)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const events = stored.flatMap((t) => t.events);
    expect(events).toHaveLength(expected);

    const byUser = (userId: string | null) => stored.filter((t) => t.session.userId === userId);
    // Two anonymous hosts, each one session plus the custom event's session; one identified host.
    expect(byUser("cat-user").flatMap((t) => t.events.map((e) => e.eventType))).toContain(
      "mcpsight:identify",
    );
    expect(
      byUser(null)
        .flatMap((t) => t.events)
        .filter((e) => e.eventType === "mcp:tools/call"),
    ).toHaveLength(10);
    const calls = events.filter((e) => e.eventType === "mcp:tools/call");
    expect(calls.filter((e) => e.resourceName === "forecast").map((e) => e.userIntent)).toEqual([
      "plan a trip",
      "plan a trip",
      "plan a trip",
    ]);
    expect(calls.filter((e) => e.resourceName === "get_more_tools")).toHaveLength(3);
    const thrown = calls.find((e) => e.resourceName === "fail");
    expect(thrown?.error).toMatchObject({ message: "no forecast", type: "TypeError" });
    expect(thrown?.error?.stack).toContain("Caused by: RangeError: station offline");
    const custom = events.filter((e) => e.eventType === "mcpsight:custom");
    expect(custom).toHaveLength(6);
    expect(custom.find((e) => e.resourceName === "report")).toMatchObject({
      error: { message: "partial export" },
      tags: { format: "csv" },
      properties: { rows: 3, nested: { empty: null } },
    });
    expect(custom.find((e) => e.resourceName === "background")).toMatchObject({
      error: { message: "timeout" },
    });

    // Nothing was refused, so mcpcat never retried and never gave up: the hosts outlive its retries.
    await new Promise((resolve) => setTimeout(resolve, MCPCAT_GIVES_UP_MS));
    for (const host of hosts) {
      expect({ mode: host.mode, exited: host.exited }).toEqual({ mode: host.mode, exited: false });
      expect(host.transport.pid).not.toBeNull();
      const log = readFileSync(join(host.home, "mcpcat.log"), "utf8");
      expect(log).not.toMatch(/Failed to send event/);
      expect(log.match(/Successfully sent event/g)?.length).toBe(host.mode === "identified" ? 10 : 9);
    }
  });
});
