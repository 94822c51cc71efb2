// Examples driven by the MCP Inspector's CLI, with the commands of the README: the basic example
// over stdio (npm run inspect) and the api-key example over Streamable HTTP.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EXAMPLES_DIR, type HttpExampleProcess, startHttpExample } from "../demo/launch.js";
import { mustGetAccount } from "../shared/users.js";
import { type Page, type SessionRow, useCollector, waitFor } from "./helpers.js";

const exec = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const collector = useCollector();

/** Runs a command with the collector's env and parses the Inspector's JSON output. */
async function json(command: string, args: string[], cwd: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(command, args, {
    cwd,
    env: { ...process.env, MCPSIGHT_URL: collector.url, MCPSIGHT_PROJECT_ID: collector.projectId },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** `npm run inspect -w examples -- basic/server.ts <args>` from the repository root. */
const inspectBasic = (args: string[]) =>
  json(
    npm,
    ["run", "--silent", "inspect", "-w", "examples", "--", "basic/server.ts", ...args],
    join(EXAMPLES_DIR, ".."),
  );

describe("MCP Inspector CLI as the client", () => {
  it("lists the basic example's tools with the injected context argument and get_more_tools", async () => {
    const listed = await inspectBasic(["--method", "tools/list"]);
    const tools = listed.tools as { name: string; inputSchema: { required?: string[] } }[];
    expect(tools.map((t) => t.name).sort()).toEqual([
      "create_note",
      "delete_note",
      "get_more_tools",
      "search_notes",
    ]);
    expect(tools.find((t) => t.name === "search_notes")?.inputSchema.required).toContain("context");
  });

  it("calls a basic example tool; the collector shows the identified user and the Inspector as client", async () => {
    const result = await inspectBasic([
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

  it("calls the api-key example over Streamable HTTP with the key in a header", async () => {
    let example: HttpExampleProcess | undefined;
    try {
      example = await startHttpExample("api-key", collector);
      const linus = mustGetAccount("u_linus");
      const result = await json(
        "npx",
        [
          "mcp-inspector-cli",
          "--cli",
          example.url,
          "--transport",
          "http",
          "--header",
          `X-API-Key: ${linus.apiKey}`,
          "--method",
          "tools/call",
          "--tool-name",
          "search_notes",
          "--tool-arg",
          "query=rota",
          "context=checking who is on call",
        ],
        EXAMPLES_DIR,
      );
      expect(JSON.stringify(result.content)).toContain("On-call rota");
    } finally {
      await example?.stop();
    }
    const sessions = await waitFor(async () => {
      const { items } = await collector.get<Page<SessionRow>>("/sessions?userId=u_linus");
      return items.some((s) => s.toolCalls === 1) ? items : undefined;
    }, "Linus's stateless session");
    expect(sessions.every((s) => s.stateless)).toBe(true);
  });
});
