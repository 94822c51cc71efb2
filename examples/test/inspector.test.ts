// The basic example driven by the MCP Inspector's CLI, the way a developer pokes at a server by hand.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES_DIR, exampleEntry, nodeArgs } from "../demo/launch.js";
import { type Page, type SessionRow, startCollector, type TestCollector, waitFor } from "./helpers.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const INSPECTOR_CLI = join(
  require.resolve("@modelcontextprotocol/inspector-cli/package.json"),
  "../build/cli.js",
);

let collector: TestCollector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(() => collector?.close());

/** `mcp-inspector-cli --cli <node …basic/server.ts> <inspectorArgs>`; returns its JSON output. */
async function inspect(inspectorArgs: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [INSPECTOR_CLI, "--cli", process.execPath, ...nodeArgs(exampleEntry("basic")), ...inspectorArgs],
    {
      // The Inspector reads its own package.json relative to the working directory's parent.
      cwd: EXAMPLES_DIR,
      env: { ...process.env, MCPSIGHT_URL: collector.url, MCPSIGHT_PROJECT_ID: collector.projectId },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("basic example with the MCP Inspector CLI as the client", () => {
  it("lists the tools with the injected context argument and get_more_tools", async () => {
    const listed = await inspect(["--method", "tools/list"]);
    const tools = listed.tools as { name: string; inputSchema: { required?: string[] } }[];
    expect(tools.map((t) => t.name).sort()).toEqual([
      "create_note",
      "delete_note",
      "get_more_tools",
      "search_notes",
    ]);
    expect(tools.find((t) => t.name === "search_notes")?.inputSchema.required).toContain("context");
  });

  it("calls a tool and the collector shows the identified user and the inspector as the client", async () => {
    const result = await inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "search_notes",
      "--tool-arg",
      "userId=u_grace",
      "query=onboarding",
      "context=Grace welcomes a new colleague",
    ]);
    expect(JSON.stringify(result.content)).toContain("Onboarding");

    const session = await waitFor(async () => {
      const { items } = await collector.get<Page<SessionRow>>("/sessions?userId=u_grace");
      return items[0];
    }, "the inspector's session");
    expect(session).toMatchObject({ userName: "Grace Hopper", clientName: "inspector-cli", toolCalls: 1 });
  });
});
