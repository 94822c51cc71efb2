// Examples driven by the MCP Inspector's CLI, with the commands of the README: the basic example
// over stdio (npm run inspect), and both HTTP examples over Streamable HTTP with the CLI of
// Inspector 1.0.3 (`mcp-inspector-cli`) and of Inspector 2.x (`mcp-inspector --cli`).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES_DIR, type HttpExample, type HttpExampleProcess, startHttpExample } from "../demo/launch.js";
import { mustGetAccount } from "../shared/users.js";
import { type Page, type SessionRow, useCollector, waitFor } from "./helpers.js";

const exec = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const collector = useCollector();

/** Runs a command with the collector's env and parses the Inspector's JSON output. */
async function json(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { stdout } = await exec(command, args, {
    cwd,
    env: { ...process.env, MCPSIGHT_URL: collector.url, MCPSIGHT_PROJECT_ID: collector.projectId, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const EXPECTED_TOOLS = ["create_note", "delete_note", "get_more_tools", "search_notes"];
type ListedTools = { name: string; inputSchema: { required?: string[] } }[];

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
    const tools = listed.tools as ListedTools;
    expect(tools.map((t) => t.name).sort()).toEqual(EXPECTED_TOOLS);
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
});

/** Inspector 2.x keeps a catalog and state under $HOME; the tests give it a home of its own. */
const inspectorHome = mkdtempSync(join(tmpdir(), "mcpsight-inspector-home-"));
afterAll(() => rmSync(inspectorHome, { recursive: true, force: true }));

/** A CLI of the Inspector, as the README runs it (`npx …` from examples/). */
interface InspectorCli {
  name: string;
  /** `npx` arguments before the server URL. */
  npx: string[];
  env: Record<string, string>;
}

const INSPECTORS: InspectorCli[] = [
  { name: "Inspector 1.0.3 CLI (mcp-inspector-cli)", npx: ["mcp-inspector-cli", "--cli"], env: {} },
  {
    name: "Inspector 2.x CLI (mcp-inspector --cli)",
    npx: ["mcp-inspector", "--cli"],
    env: { HOME: inspectorHome },
  },
];

/** Each HTTP example with the header that identifies a user, one user per Inspector version. */
const HTTP_EXAMPLES: { name: HttpExample; header: (userId: string) => string; users: [string, string] }[] = [
  {
    name: "api-key",
    header: (id) => `X-API-Key: ${mustGetAccount(id).apiKey}`,
    users: ["u_linus", "u_barbara"],
  },
  {
    name: "mcp-auth",
    header: (id) => `Authorization: Bearer ${mustGetAccount(id).token}`,
    users: ["u_margaret", "u_ada"],
  },
];

describe.each(HTTP_EXAMPLES)("the $name example over Streamable HTTP", ({ name, header, users }) => {
  let example: HttpExampleProcess | undefined;
  beforeAll(async () => {
    example = await startHttpExample(name, collector);
  });
  afterAll(() => example?.stop());

  it.each(INSPECTORS.map((cli, index) => ({ ...cli, userId: users[index] as string })))(
    "$name lists its tools and calls one; the collector shows one session of the user, named inspector-cli",
    async ({ npx, env, userId }) => {
      const url = example?.url as string;
      const inspect = (args: string[]) =>
        json(
          "npx",
          [...npx, url, "--transport", "http", "--header", header(userId), ...args],
          EXAMPLES_DIR,
          env,
        );
      const listed = await inspect(["--method", "tools/list"]);
      const tools = listed.tools as ListedTools;
      expect(tools.map((t) => t.name).sort()).toEqual(EXPECTED_TOOLS);
      expect(tools.find((t) => t.name === "search_notes")?.inputSchema.required).toContain("context");
      const result = await inspect([
        "--method",
        "tools/call",
        "--tool-name",
        "search_notes",
        "--tool-arg",
        "query=rota",
        "context=checking who is on call",
      ]);
      expect(JSON.stringify(result.content)).toContain("On-call rota");

      // Stateless runs of one client group into one session; a stateful server identifies the
      // session of the call only (the tools/list run made no tool call).
      const sessions = await waitFor(async () => {
        const { items } = await collector.get<Page<SessionRow>>(`/sessions?userId=${userId}`);
        return items.some((s) => s.toolCalls === 1) ? items : undefined;
      }, `${userId}'s session`);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]).toMatchObject({
        clientName: "inspector-cli",
        toolCalls: 1,
        stateless: name === "api-key",
      });
    },
  );
});
